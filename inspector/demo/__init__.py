"""The demo central database: a realistic, reproducible region with planted screening cases."""
