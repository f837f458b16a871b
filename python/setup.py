"""Installs the evclip Python binding (pure Python; needs libevclip.so at run time).

Plain setuptools without a pyproject.toml build-system table, so that
`/usr/bin/python3 -m pip install ./python` works offline with Debian's python3-setuptools
(no isolated build environment to download).
"""

from setuptools import setup

setup(
    name="evclip",
    version="0.2.0",
    description="Evidence clips (trimmed H.264 MP4 with burned-in detections): ctypes "
                "binding of libevclip with a cv-evidence-renderer compatible API",
    license="MIT",
    packages=["evclip"],
    python_requires=">=3.8",
    extras_require={"numpy": ["numpy"]},
)
