"""Embedded inspections on several laptops (进驻式检查).

One team, one inspection, a laptop each, often without network. A laptop that never reached the
central joins from a teammate's snapshot file (`snapshot_file`); work travels as signed event
bundles (`bundle`), merged by event id: importing is idempotent and order-independent because
each event keeps its place on its own laptop's hash chain and the state is folded in the
events' causal order (inspector/events.py). Two records of the same item made without seeing
each other are both kept and shown as a conflict (`conflicts`) until the lead resolves it;
`state_digest` lets two laptops compare their folded state at a glance.
"""
