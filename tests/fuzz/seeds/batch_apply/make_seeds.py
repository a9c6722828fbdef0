#!/usr/bin/python3
"""Writes the batch seeds (*.txtpb) of fuzz_batch_apply; encode them with protoc (README).

Item mutations must sit in the partition their key hashes to (storage::PartitionOf): the
partition of each batch below was found by trying each one against the target
(GT_FUZZ_VERBOSE=1 build-fuzz/bin/fuzz_batch_apply <file>)."""
import sys

H = lambda ms, l=0: (ms << 16) | l  # noqa: E731 (clock::MakeTimestamp)
BASE = 1_799_999_990_000            # just below the target's clock, 1 800 000 000 000 ms
CREATED = H(BASE)
SCHEMA = ('schema { name: "orders" partition_key { name: "pk" type: S } sort_key { name: "sk" '
          'type: N } attribute_definitions { name: "pk" type: S } attribute_definitions { name: '
          '"sk" type: N } created_hlc: %d created_region: 2 billing_mode: "PAY_PER_REQUEST" }'
          % CREATED)


def item(pk, sk, extra=""):
    return ('item { attributes { name: "pk" value { s: "%s" } } attributes { name: "sk" value '
            '{ n: "%s" } } %s }' % (pk, sk, extra))


def put(seq, pk, sk, hlc, extra="", kind="PUT"):
    return ('mutations { kind: %s table: "orders" table_created_hlc: %d table_created_region: 2 '
            '%s hlc: %d origin_region: 2 sequence: %d }' % (kind, CREATED, item(pk, sk, extra),
                                                            hlc, seq))


def create(seq=1):
    return ('mutations { kind: CREATE_TABLE table: "orders" hlc: %d origin_region: 2 sequence: %d '
            '%s }' % (CREATED, seq, SCHEMA))


def batch(partition, first, muts, origin=2, name="eu-west-1"):
    return ('origin_region: %d origin_name: "%s" partition: %d first_sequence: %d '
            'last_sequence: %d sent_hlc: %d origin_partitions: 64\n%s\n'
            % (origin, name, partition, first, first + len(muts) - 1, H(BASE + 5000),
               "\n".join(muts)))


def seeds(p):
    """p: the partition of each batch, by name."""
    nested = ('attributes { name: "v" value { m { entries { name: "x" value { l { values { '
              'bool_value: true } values { null: true } } } } } } }')
    return {
        "create_and_put": batch(p["create_and_put"], 1, [
            create(), put(2, "a", "1", H(BASE + 10), nested),
            put(3, "a", "2.5", H(BASE + 11),
                'attributes { name: "ss" value { ss { values: "p" values: "q" } } }'),
            put(4, "a", "1", H(BASE + 12), "", "DELETE")]),
        "create_only": batch(1, 1, [create()]),
        "put_then_future_hlc": batch(p["put_then_future_hlc"], 1, [
            create(), put(2, "c", "3", H(BASE + 10)), put(3, "c", "4", H(BASE + 60_000))]),
        "gap": batch(3, 5, [put(5, "d", "1", H(BASE + 10))]),
        "unknown_table": batch(p["unknown_table"], 1, [put(1, "e", "1", H(BASE + 10))]),
        "heartbeat": batch(5, 1, ['mutations { kind: HEARTBEAT hlc: %d origin_region: 2 '
                                  'sequence: 1 origin_partitions: 64 }' % H(BASE + 20)]),
        "delete_table": batch(p["delete_table"], 1, [
            create(), put(2, "f", "1", H(BASE + 10)),
            'mutations { kind: DELETE_TABLE table: "orders" table_created_hlc: %d '
            'table_created_region: 2 hlc: %d origin_region: 2 sequence: 3 }'
            % (CREATED, H(BASE + 30))]),
        "other_peer": batch(0, 1, [create().replace("origin_region: 2", "origin_region: 3")
                                   .replace("created_region: 2", "created_region: 3")],
                            origin=3, name="ap-south-1"),
    }


if __name__ == "__main__":
    partitions = dict(arg.split("=") for arg in sys.argv[1:])
    defaults = {"create_and_put": 29, "put_then_future_hlc": 21, "unknown_table": 44,
                "delete_table": 56}
    defaults.update({k: int(v) for k, v in partitions.items()})
    for name, text in seeds(defaults).items():
        with open(name + ".txtpb", "w") as f:
            f.write(text)
