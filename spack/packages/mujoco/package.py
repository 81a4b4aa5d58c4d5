# MuJoCo built from source with CMake, so that `find_package(mujoco)` finds its exported config.
# Shadows Spack's builtin `mujoco` (2.1.0 binary tarball) for environments that list ./spack.
from spack.package import *


class Mujoco(CMakePackage):
    """MuJoCo physics engine (Multi-Joint dynamics with Contact), source build."""

    homepage = "https://mujoco.org"
    git = "https://github.com/google-deepmind/mujoco.git"

    version("2.2.2", tag="2.2.2")

    depends_on("cmake@3.16:", type="build")

    # MuJoCo's CMake fetches its pinned third-party sources (lodepng, tinyxml2, tinyobjloader,
    # ccd, qhull, ...) with FetchContent at configure time: the build node needs network access,
    # or pass FETCHCONTENT_SOURCE_DIR_<NAME> for pre-downloaded copies.
    def cmake_args(self):
        return [
            self.define("MUJOCO_BUILD_EXAMPLES", False),
            self.define("MUJOCO_BUILD_SIMULATE", False),
            self.define("MUJOCO_BUILD_TESTS", False),
            self.define("MUJOCO_TEST_PYTHON_UTIL", False),
        ]
