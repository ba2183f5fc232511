from perfxl.cli.main import main

if __name__ == "__main__":  # spawned workers (Windows, macOS) import this module again: don't rerun the CLI
    main()
