"""The command line: the only layer that knows about click, exit codes and the terminal."""
