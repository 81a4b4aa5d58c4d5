#!/usr/bin/python3
"""spack.yaml and spack/packages/mfhrl/package.py name every dependency the CMake build finds.

  test_spack.py [REPO_ROOT]

Greps every CMakeLists.txt for find_package(<X>, maps X to its Spack package and fails when
spack.yaml's specs or the recipe's depends_on lines miss one, or when X has no mapping yet.
"""
import os
import re
import sys
import unittest

import yaml

REPO = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
# CMake package name -> Spack package names that satisfy it (first: the one we list).
SPACK_NAME = {
    "yaml-cpp": ("yaml-cpp",),
    "CLI11": ("cli11",),
    "nlohmann_json": ("nlohmann-json",),
    "mujoco": ("mujoco",),
    "Torch": ("py-torch",),
    "HDF5": ("hdf5",),
    "MPI": ("openmpi", "mpi"),
    "GTest": ("googletest",),
    "benchmark": ("benchmark",),
    "fmt": ("fmt",),
    "spdlog": ("spdlog",),
    "Threads": (),  # part of the toolchain
}


def spec_name(spec):
    return re.match(r"[A-Za-z0-9_.-]+?(?=[@+~ %^]|$)", spec.strip()).group(0)


def cmake_packages():
    found = {}
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if not d.startswith(("build", "."))]
        for name in files:
            if name == "CMakeLists.txt" or name.endswith(".cmake"):
                path = os.path.join(root, name)
                with open(path) as f:
                    for m in re.finditer(r"find_package\(\s*([A-Za-z0-9_-]+)", f.read()):
                        found.setdefault(m.group(1), os.path.relpath(path, REPO))
    return found


class SpackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(REPO, "spack.yaml")) as f:
            cls.env = yaml.safe_load(f)["spack"]
        cls.specs = {spec_name(s): s for s in cls.env["specs"]}
        with open(os.path.join(REPO, "spack", "packages", "mfhrl", "package.py")) as f:
            cls.recipe = f.read()
        cls.depends = dict(re.findall(r'depends_on\("([A-Za-z0-9_-]+)([^"]*)"', cls.recipe))
        cls.found = cmake_packages()

    def test_top_level_finds_are_seen(self):
        for name in ("yaml-cpp", "CLI11", "nlohmann_json", "mujoco", "Torch", "HDF5", "MPI"):
            self.assertIn(name, self.found)

    def test_every_find_package_is_in_spack_yaml_and_recipe(self):
        for cm, where in sorted(self.found.items()):
            self.assertIn(cm, SPACK_NAME, f"{where}: find_package({cm}) has no Spack mapping "
                          "in tests/cluster/test_spack.py; add it there and to spack.yaml")
            names = SPACK_NAME[cm]
            if not names:
                continue
            self.assertTrue(any(n in self.specs for n in names),
                            f"find_package({cm}) in {where}: none of {names} in spack.yaml specs")
            self.assertTrue(any(n in self.depends for n in names),
                            f"find_package({cm}) in {where}: no depends_on({names[0]}) in recipe")

    def test_hdf5_is_parallel_and_mpi_is_openmpi(self):
        self.assertIn("+mpi", self.specs["hdf5"])
        self.assertIn("+mpi", self.depends["hdf5"])
        self.assertIn("+mpi", self.env["packages"]["hdf5"]["variants"])
        self.assertEqual(self.env["packages"]["mpi"]["require"], "openmpi")
        self.assertIn("mpi", self.depends)

    def test_torch_dir_comes_from_py_torch(self):
        self.assertRegex(self.recipe, r'define\("Torch_DIR"')
        self.assertIn('spec["py-torch"]', self.recipe)

    def test_mujoco_is_the_local_source_build(self):
        self.assertIn("./spack", self.env["repos"])
        self.assertIn("2.2.2", self.specs["mujoco"])
        with open(os.path.join(REPO, "spack", "repo.yaml")) as f:
            self.assertEqual(yaml.safe_load(f)["repo"]["namespace"], "mfhrl")
        with open(os.path.join(REPO, "spack", "packages", "mujoco", "package.py")) as f:
            text = f.read()
        self.assertIn("class Mujoco(CMakePackage)", text)
        self.assertIn('version("2.2.2", tag="2.2.2")', text)
        self.assertIn("github.com/google-deepmind/mujoco.git", text)

    def test_analysis_python_and_external_slurm(self):
        for p in ("py-h5py", "py-numpy", "py-matplotlib", "py-pandas", "py-pyyaml"):
            self.assertIn(p, self.specs)
            self.assertIn(p, self.depends)
        slurm = self.env["packages"]["slurm"]
        self.assertFalse(slurm["buildable"])
        self.assertTrue(slurm["externals"][0]["spec"].startswith("slurm@"))
        self.assertIn("slurm", self.specs)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
