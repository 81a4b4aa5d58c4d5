// Where the program finds its data files (the HalfCheetah MJCF), in the build tree or an install.
#pragma once

#include <string>

namespace mfhrl::sim {

// Full path of data file `name`: looks in $MFHRL_DATA_DIR, then <dir of this
// executable>/../share/mfhrl, then the build tree's data dir; throws InputError listing every place
// it looked.
std::string find_data_file(const std::string& name);

}  // namespace mfhrl::sim
