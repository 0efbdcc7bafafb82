"""``python -m boltzmann_rl`` is the ``boltzmann-rl`` command line."""

from boltzmann_rl.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
