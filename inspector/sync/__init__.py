"""Central -> local: the slice one inspection needs, streamed into a snapshot."""
