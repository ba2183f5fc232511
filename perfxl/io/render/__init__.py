"""Rendering the templates users edit: the sandbox, what a template may make, and the deadline."""
