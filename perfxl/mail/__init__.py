"""Drafts and sending: one message per submission, with its forms attached."""
