// Replication over NATS JetStream (placeholder translation unit until the publisher and
// consumer land).
namespace globaltable::replication {}  // namespace globaltable::replication
