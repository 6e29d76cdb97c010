"""Qt item models over the local store."""
