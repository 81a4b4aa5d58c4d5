// The D4RL normalized score of a HalfCheetah return (0 = random policy, 100 = expert).
#pragma once

namespace mfhrl::io {

inline constexpr double kD4rlRandomReturn = -280.178953;  // R_min of D4RL halfcheetah
inline constexpr double kD4rlExpertReturn = 12135.0;      // R_max of D4RL halfcheetah

// 100 * (R - R_min) / (R_max - R_min): the figure D4RL papers report, so results compare directly.
inline double d4rl_normalized_score(double episode_return) {
  return 100.0 * (episode_return - kD4rlRandomReturn) / (kD4rlExpertReturn - kD4rlRandomReturn);
}

}  // namespace mfhrl::io
