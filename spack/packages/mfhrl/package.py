# Spack recipe for mfhrl; its depends_on lines mirror the find_package calls of the CMake build
# (tests/cluster/test_spack.py checks that every one is named here and in spack.yaml).
from spack.package import *


class Mfhrl(CMakePackage):
    """Multi-fidelity hybrid offline-online RL (MF-HRL-IGM) on MuJoCo HalfCheetah: an MPI batch
    application with parallel-HDF5 run files, Slurm job scripts and a Python analysis."""

    # Not published: build a checkout with `spack develop` (see spack.yaml and jobs/README.md).
    version("main")

    variant("tests", default=True, description="Build the GoogleTest suites (MFHRL_BUILD_TESTS)")
    variant("benchmarks", default=False,
            description="Build the Google Benchmark suite (MFHRL_BUILD_BENCHMARKS)")

    depends_on("cmake@3.18:", type="build")
    depends_on("mpi")
    depends_on("hdf5@1.10:+mpi")  # run files are written collectively (H5Pset_fapl_mpio)
    depends_on("py-torch@1.13:~cuda")  # LibTorch: C++ library and CMake config ship inside it
    depends_on("mujoco@2.2.2:")  # the source build of this repo, not the 2.1.0 binary
    depends_on("yaml-cpp@0.6:")
    depends_on("cli11@2:")
    depends_on("nlohmann-json@3.9:")
    depends_on("fmt")
    depends_on("googletest", type=("build", "link"), when="+tests")
    depends_on("benchmark", type=("build", "link"), when="+benchmarks")
    # analysis/*.py and jobs/study_plan.py
    depends_on("python@3.8:", type="run")
    depends_on("py-h5py+mpi", type="run")
    depends_on("py-numpy", type="run")
    depends_on("py-matplotlib", type="run")
    depends_on("py-pandas", type="run")
    depends_on("py-pyyaml", type="run")

    def cmake_args(self):
        spec = self.spec
        # py-torch keeps TorchConfig.cmake under site-packages/torch/share/cmake/Torch.
        torch_dir = join_path(spec["py-torch"].prefix, spec["python"].package.platlib, "torch",
                              "share", "cmake", "Torch")
        return [
            self.define("Torch_DIR", torch_dir),
            self.define_from_variant("MFHRL_BUILD_TESTS", "tests"),
            self.define_from_variant("MFHRL_BUILD_BENCHMARKS", "benchmarks"),
            self.define("MPI_C_COMPILER", spec["mpi"].mpicc),
            self.define("MPI_CXX_COMPILER", spec["mpi"].mpicxx),
        ]
