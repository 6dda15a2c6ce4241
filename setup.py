"""Build configuration beyond pyproject.toml: the repository's ``datasets/`` folder (the bundled Planetoid files
and their licence) is installed as the package ``gnnlab.datasets``, in wheels, sdists and editable installs."""
from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["gnnlab", "gnnlab.*"]), "gnnlab.datasets"],
      package_dir={"gnnlab.datasets": "datasets"})
