// The L bootstrapped policies (DESIGN §2): this rank's block of them, the offline CQL phase, and
// the pretrained-policies file that lets every strategy of a study start from the same policies.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mfhrl/core/bootstrap.h"
#include "mfhrl/core/config.h"
#include "mfhrl/core/partition.h"
#include "mfhrl/core/transitions.h"
#include "mfhrl/dist/comm.h"
#include "mfhrl/io/h5file.h"
#include "mfhrl/io/run_file.h"
#include "mfhrl/learn/agent.h"
#include "mfhrl/sim/level_model.h"

namespace mfhrl::app {

// The /config part of a run or pretrained file for config c.
io::RunFileMeta run_file_meta(const Config& c);

class PolicySet {
 public:
  // Builds this rank's block of fresh agents and their bootstrap samplers over `data`.
  PolicySet(const Config& c, const dist::Comm& comm, const Transitions& data);

  const Block& block() const { return block_; }
  int num_policies() const { return num_policies_; }
  bool owns(int l) const { return block_.contains(l); }
  learn::Agent& agent(int l);
  const learn::Agent& agent(int l) const;
  // Draws `batch` rows of the offline data for policy l, weighted by its bootstrap weights.
  Transitions sample_offline(int l, std::size_t batch, Rng& rng) const;

  // Offline phase: offline.steps CQL updates for every owned policy; with offline.eval_every > 0,
  // eval.episodes deterministic episodes of the policy on `real` every that many steps (logged).
  void pretrain(const Config& c, const std::shared_ptr<const sim::LevelModel>& real);

  // Collective over comm: writes every policy (each by its owner) to path, atomically.
  void save(const std::string& path, const Config& c, bool force) const;
  // Collective over comm: writes every policy (each by its owner) under /policies of f.
  void write_to(io::H5File& f) const;
  // Collective over comm: loads every owned policy from a file written by save().
  void load(const std::string& path, const Config& c);

 private:
  const dist::Comm& comm_;
  const Transitions& data_;
  int num_policies_;
  Block block_;
  std::vector<std::unique_ptr<learn::Agent>> agents_;  // (block size)
  std::vector<WeightedSampler> samplers_;              // (block size)
};

}  // namespace mfhrl::app
