"""Doctests of modules whose optional dependencies are absent are not collected."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("stable_baselines3") is None:
    collect_ignore.append("boltzmann_rl/sb3.py")  # needs the sb3 extra
