"""The batch engine every form kind runs on: discover → read and check on workers → batch rules →
outputs under the output lock → stale outputs removed (only what perfxl wrote)."""
