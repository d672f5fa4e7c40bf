"""The embedded spec, shipped as the package data of sspimodel._spec (see setup.py and
sspimodel/paths.py); the readers only read pages/*.md|*.txt and data/."""
