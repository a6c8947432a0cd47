"""Background jobs: the runner (one worker thread, a state-store row per job) and the stages it runs."""
