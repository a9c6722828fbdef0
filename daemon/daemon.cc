// Daemon library (placeholder until the API server lands).
namespace globaltable::daemon {}  // namespace globaltable::daemon
