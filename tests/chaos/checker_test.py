#!/usr/bin/env python3
"""The fault-schedule checker (tests/chaos/checker.py) finds each kind of violation in a history
made for it, and accepts the losses last-writer-wins allows."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checker  # noqa: E402

A, B = "chaos_a", "chaos_b"


def op(thread, kind, key, value, start, end, outcome="ok", table=A):
    return [thread, kind, table, key, value, start, end, outcome]


def finals(a, b=None, regions=("r1", "r2")):
    return {r: {A: dict(a), B: dict(b or {})} for r in regions}


class CheckerTest(unittest.TestCase):
    def test_clean_history_passes(self):
        h = [op("r1.0", "put", "r1.0.1", "r1.0.1", 1.0, 1.1),
             op("r2.0", "hot", "hot1", "r2.0.1", 1.0, 1.1),
             op("r1.0", "get", "hot1", "r2.0.1", 1.2, 1.3)]
        res = checker.check(h, finals({"r1.0.1": "r1.0.1", "hot1": "r2.0.1"}), u=0.5)
        self.assertTrue(res.ok, res.violations)
        self.assertEqual(res.counts["acked_writes"], 2)

    def test_missing_acknowledged_unique_write_is_lost(self):
        h = [op("r1.0", "put", "r1.0.1", "r1.0.1", 1.0, 1.1)]
        res = checker.check(h, finals({}), u=0.5)
        self.assertEqual(res.counts["lost"], 2)  # missing in both regions

    def test_unacknowledged_unique_write_may_be_missing(self):
        h = [op("r1.0", "put", "r1.0.1", "r1.0.1", 1.0, 1.1, outcome="unknown")]
        self.assertTrue(checker.check(h, finals({}), u=0.5).ok)

    def test_concurrent_write_may_win(self):
        # r1's write was acknowledged, r2's overlapping one won: LWW allows that.
        h = [op("r1.0", "hot", "hot1", "a", 1.0, 1.1), op("r2.0", "hot", "hot1", "b", 1.05, 1.2)]
        self.assertTrue(checker.check(h, finals({"hot1": "b"}), u=0.0).ok)
        # So does an earlier write within the clock uncertainty.
        h = [op("r1.0", "hot", "hot1", "a", 2.0, 2.1), op("r2.0", "hot", "hot1", "b", 1.0, 1.7)]
        self.assertTrue(checker.check(h, finals({"hot1": "b"}), u=0.5).ok)

    def test_older_write_winning_beyond_uncertainty_is_lost(self):
        h = [op("r1.0", "hot", "hot1", "a", 3.0, 3.1), op("r2.0", "hot", "hot1", "b", 1.0, 1.1)]
        res = checker.check(h, finals({"hot1": "b"}), u=0.5)
        self.assertEqual(res.counts["lost"], 2)

    def test_item_back_after_later_delete_is_resurrected(self):
        h = [op("r1.0", "hot", "hot1", "a", 1.0, 1.1),
             op("r2.0", "delete", "hot1", None, 3.0, 3.1)]
        res = checker.check(h, finals({"hot1": "a"}), u=0.5)
        self.assertEqual(res.counts["resurrected"], 2)
        self.assertTrue(checker.check(h, finals({}), u=0.5).ok)

    def test_absent_without_a_delete_that_could_win_is_lost(self):
        h = [op("r1.0", "delete", "hot1", None, 1.0, 1.1),
             op("r2.0", "hot", "hot1", "a", 3.0, 3.1)]
        res = checker.check(h, finals({}), u=0.5)
        self.assertEqual(res.counts["lost"], 2)

    def test_refused_write_value_is_phantom(self):
        h = [op("r1.0", "hot", "hot1", "a", 1.0, 1.1),
             op("r2.0", "cput", "hot1", "b", 1.2, 1.3, outcome="fail")]
        res = checker.check(h, finals({"hot1": "b"}), u=0.5)
        self.assertEqual(res.counts["phantom"], 2)

    def test_read_of_unwritten_or_future_value_is_phantom(self):
        h = [op("r1.0", "hot", "hot1", "a", 2.0, 2.1),
             op("r2.0", "get", "hot1", "zz", 1.0, 1.1),
             op("r2.0", "get", "hot1", "a", 1.0, 1.1)]
        res = checker.check(h, finals({"hot1": "a"}), u=0.5)
        self.assertEqual(res.counts["phantom"], 2)

    def test_regions_that_differ_are_divergent(self):
        h = [op("r1.0", "hot", "hot1", "a", 1.0, 1.1), op("r2.0", "hot", "hot1", "b", 1.0, 1.1)]
        f = {"r1": {A: {"hot1": "a"}, B: {}}, "r2": {A: {"hot1": "b"}, B: {}}}
        self.assertEqual(checker.check(h, f, u=0.5).counts["divergent"], 1)

    def test_transaction_in_one_table_only_is_torn(self):
        h = [op("r1.0", "tx", "tx1", "a", 1.0, 1.1), op("r2.0", "tx", "tx1", "b", 1.0, 1.1)]
        self.assertTrue(checker.check(h, finals({"tx1": "a"}, {"tx1": "a"}), u=0.5).ok)
        res = checker.check(h, finals({"tx1": "a"}, {"tx1": "b"}), u=0.5)
        self.assertEqual(res.counts["torn"], 2)

    def test_expired_ttl_item_may_be_gone(self):
        h = [op("r1.0", "ttl", "r1.0.7", "r1.0.7", 1.0, 1.1, table=B)]
        self.assertTrue(checker.check(h, finals({}, {}), u=0.5).ok)
        res = checker.check(h, finals({}, {"r1.0.7": "other"}), u=0.5)
        self.assertEqual(res.counts["phantom"], 2)


if __name__ == "__main__":
    unittest.main()
