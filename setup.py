"""Which packages the distribution holds; everything else is in pyproject.toml.

Automatic discovery of the library (``evidence`` and every folder under it, data folders
without ``__init__.py`` included as namespace packages so that their files ship), and the
command line's folder ``cli/`` installed as ``evidence_cli``, so that no bare top-level
package named ``cli`` lands in site-packages. pyproject.toml's ``packages.find`` cannot
combine discovery with a renamed folder; this file can.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["evidence", "evidence.*"],
                                 exclude=["*.__pycache__", "*.__pycache__.*"]),
        *("evidence_cli" + name for name in ["", *(
            "." + p for p in find_namespace_packages(where="cli",
                                                     exclude=["__pycache__", "*.__pycache__"]))]),
    ],
    package_dir={"evidence_cli": "cli"},
)
