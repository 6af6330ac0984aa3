"""Packaging glue pyproject.toml cannot express: the top-level ``conf/`` ships inside the package
as ``stylist/conf`` (package data), so that a regular (non-editable) install finds its Hydra configs."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["stylist*"]), "stylist.conf"],
    package_dir={"stylist.conf": "conf"},
    package_data={"stylist": ["weights/*"], "stylist.conf": ["*.yaml", "*/*.yaml"]},
)
