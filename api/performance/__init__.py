"""What the server keeps between requests to save reads, never a check: graph facts per graph load,
pooled read connections, candidate rankers beside the server, versioned caches of state-store rows."""
