# Writes OUT: a C++ source defining the text of each shipped YAML config as a string constant.
set(body "// Generated from configs/*.yaml by src/config/embed.cmake; do not edit.\n#include <string>\nnamespace mfhrl::config::embedded {\n")
foreach(name halfcheetah demo)
  file(READ ${CONFIG_DIR}/${name}.yaml text)
  string(APPEND body "extern const char* const k_${name};\nconst char* const k_${name} = R\"mfhrl_yaml(${text})mfhrl_yaml\";\n")
endforeach()
string(APPEND body "}  // namespace mfhrl::config::embedded\n")
file(WRITE ${OUT}.new "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.new ${OUT})
