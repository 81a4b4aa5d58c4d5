#include "checkpoint.h"

#include <cstring>
#include <map>
#include <sstream>

#include "mfhrl/core/error.h"

namespace mfhrl::app {
namespace {

template <typename T>
TensorBlob make_blob(std::string name, DType dtype, std::vector<std::int64_t> shape, const T* data,
                     std::size_t n) {
  TensorBlob b;
  b.name = std::move(name);
  b.dtype = dtype;
  b.shape = std::move(shape);
  b.bytes.resize(n * sizeof(T));
  if (n > 0) std::memcpy(b.bytes.data(), data, b.bytes.size());
  return b;
}

TensorBlob f64_scalar(std::string name, double v) {
  return make_blob(std::move(name), DType::kF64, {}, &v, 1);
}
TensorBlob i64_scalar(std::string name, std::int64_t v) {
  return make_blob(std::move(name), DType::kI64, {}, &v, 1);
}
TensorBlob f64_vector(std::string name, const std::vector<double>& v) {
  return make_blob(std::move(name), DType::kF64, {static_cast<std::int64_t>(v.size())}, v.data(),
                   v.size());
}
TensorBlob rng_blob(std::string name, const Rng::State& s) {
  return make_blob(std::move(name), DType::kI64, {4}, s.data(), s.size());
}

std::string level_prefix(int k) {
  return "level_" + std::to_string(k + 1) + "/";
}
std::string policy_prefix(int l) {
  return "policy_" + std::to_string(l) + "/";
}

void put_transitions(TensorBlobs& out, const std::string& prefix, const Transitions& t) {
  const auto n = static_cast<std::int64_t>(t.size());
  out.push_back(
      make_blob(prefix + "observations", DType::kF32, {n, t.obs_dim}, t.obs.data(), t.obs.size()));
  out.push_back(
      make_blob(prefix + "actions", DType::kF32, {n, t.act_dim}, t.act.data(), t.act.size()));
  out.push_back(make_blob(prefix + "rewards", DType::kF32, {n}, t.rew.data(), t.rew.size()));
  out.push_back(make_blob(prefix + "next_observations", DType::kF32, {n, t.obs_dim},
                          t.next_obs.data(), t.next_obs.size()));
  out.push_back(
      make_blob(prefix + "terminals", DType::kU8, {n}, t.terminal.data(), t.terminal.size()));
  out.push_back(
      make_blob(prefix + "timeouts", DType::kU8, {n}, t.timeout.data(), t.timeout.size()));
}

void put_env(TensorBlobs& out, const std::string& prefix, const sim::EnvState& e,
             const Rng::State& rollout) {
  const auto vec = [&](const char* name, const std::vector<double>& v) {
    out.push_back(f64_vector(prefix + name, v));
  };
  vec("qpos", e.qpos);
  vec("qvel", e.qvel);
  vec("qacc_warmstart", e.qacc_warmstart);
  out.push_back(f64_scalar(prefix + "time", e.time));
  out.push_back(i64_scalar(prefix + "step", e.step));
  const std::uint8_t live = e.live ? 1 : 0;
  out.push_back(make_blob(prefix + "live", DType::kU8, {}, &live, 1));
  out.push_back(rng_blob(prefix + "rng", e.rng));
  out.push_back(rng_blob(prefix + "rollout_rng", rollout));
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::kF32:
      return "f32";
    case DType::kF64:
      return "f64";
    case DType::kI64:
      return "i64";
    case DType::kU8:
      return "u8";
  }
  return "?";
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::ostringstream os;
  os << "(";
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ")";
  return os.str();
}

constexpr std::int64_t kAny = -1;

// Named access to the blobs of a checkpoint with errors that name the file and the entry.
class Reader {
 public:
  Reader(const TensorBlobs& blobs, std::string what) : what_(std::move(what)) {
    for (const auto& b : blobs) by_name_[b.name] = &b;
  }

  bool has(const std::string& name) const { return by_name_.count(name) > 0; }

  // The blob `name` with this dtype and shape (kAny matches any extent).
  const TensorBlob& get(const std::string& name, DType dtype,
                        const std::vector<std::int64_t>& shape) const {
    const auto it = by_name_.find(name);
    if (it == by_name_.end()) {
      throw InputError(what_ + ": checkpoint entry '/checkpoint/" + name +
                       "' is missing (truncated or damaged file?)");
    }
    const TensorBlob& b = *it->second;
    bool ok = b.dtype == dtype && b.shape.size() == shape.size() &&
              b.bytes.size() == static_cast<std::size_t>(b.numel()) * dtype_size(dtype);
    for (std::size_t i = 0; ok && i < shape.size(); ++i) {
      ok = shape[i] == kAny || shape[i] == b.shape[i];
    }
    if (!ok) {
      throw InputError(what_ + ": checkpoint entry '/checkpoint/" + name + "' is " +
                       dtype_name(b.dtype) + " " + shape_text(b.shape) + ", expected " +
                       dtype_name(dtype) + " " + shape_text(shape) + " for this config");
    }
    return b;
  }

  template <typename T>
  std::vector<T> values(const std::string& name, DType dtype,
                        const std::vector<std::int64_t>& shape) const {
    const TensorBlob& b = get(name, dtype, shape);
    std::vector<T> v(b.bytes.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), b.bytes.data(), b.bytes.size());
    return v;
  }
  double f64(const std::string& name) const { return values<double>(name, DType::kF64, {})[0]; }
  std::int64_t i64(const std::string& name) const {
    return values<std::int64_t>(name, DType::kI64, {})[0];
  }
  Rng::State rng(const std::string& name) const {
    const auto v = values<std::uint64_t>(name, DType::kI64, {4});
    return {v[0], v[1], v[2], v[3]};
  }

  // The blobs under prefix (ending in '/'), with the prefix removed from their names.
  TensorBlobs under(const std::string& prefix) const {
    TensorBlobs out;
    for (auto it = by_name_.lower_bound(prefix);
         it != by_name_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      out.push_back(*it->second);
      out.back().name = it->first.substr(prefix.size());
    }
    return out;
  }

  Transitions transitions(const std::string& prefix) const {
    Transitions t;
    const auto n = static_cast<std::int64_t>(get(prefix + "rewards", DType::kF32, {kAny}).shape[0]);
    t.obs = values<float>(prefix + "observations", DType::kF32, {n, t.obs_dim});
    t.act = values<float>(prefix + "actions", DType::kF32, {n, t.act_dim});
    t.rew = values<float>(prefix + "rewards", DType::kF32, {n});
    t.next_obs = values<float>(prefix + "next_observations", DType::kF32, {n, t.obs_dim});
    t.terminal = values<std::uint8_t>(prefix + "terminals", DType::kU8, {n});
    t.timeout = values<std::uint8_t>(prefix + "timeouts", DType::kU8, {n});
    return t;
  }

  sim::EnvState env(const std::string& prefix, Rng::State* rollout) const {
    sim::EnvState e;
    e.qpos = values<double>(prefix + "qpos", DType::kF64, {kAny});
    e.qvel = values<double>(prefix + "qvel", DType::kF64, {kAny});
    e.qacc_warmstart = values<double>(prefix + "qacc_warmstart", DType::kF64, {kAny});
    e.time = f64(prefix + "time");
    e.step = i64(prefix + "step");
    e.live = values<std::uint8_t>(prefix + "live", DType::kU8, {})[0] != 0;
    e.rng = rng(prefix + "rng");
    *rollout = rng(prefix + "rollout_rng");
    return e;
  }

  // Runs f, turning a learner's InputError into one that names the file and the entry.
  template <typename F>
  void load(const std::string& entry, F f) const {
    try {
      f();
    } catch (const InputError& e) {
      throw InputError(what_ + ": checkpoint entry '/checkpoint/" + entry +
                       "' does not fit this config: " + e.what());
    }
  }

 private:
  std::string what_;
  std::map<std::string, const TensorBlob*> by_name_;
};

std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

template <typename T>
std::uint64_t fnv1a(std::uint64_t h, const std::vector<T>& v) {
  const std::uint64_t n = v.size();
  h = fnv1a(h, &n, sizeof n);
  return fnv1a(h, v.data(), v.size() * sizeof(T));
}

}  // namespace

std::size_t Checkpoint::bytes() const {
  std::size_t n = 0;
  for (const auto* list : {&shared, &owned}) {
    for (const auto& b : *list) n += b.bytes.size();
  }
  return n;
}

std::uint64_t offline_digest(const Transitions& d) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  h = fnv1a(h, d.obs);
  h = fnv1a(h, d.act);
  h = fnv1a(h, d.rew);
  h = fnv1a(h, d.next_obs);
  h = fnv1a(h, d.terminal);
  return fnv1a(h, d.timeout);
}

Checkpoint capture_checkpoint(const Config& c, const RunState& s, const PolicySet& policies,
                              const std::vector<double>& level_cost, std::uint64_t digest) {
  Checkpoint ck;
  ck.round = s.round;
  TensorBlobs& sh = ck.shared;
  sh.push_back(i64_scalar("round", s.round));
  sh.push_back(f64_scalar("budget_spent", s.budget.spent));
  sh.push_back(f64_scalar("posterior_eta", s.eta));
  sh.push_back(f64_vector("posterior", s.posterior));
  sh.push_back(f64_vector("spent_per_level", s.spent_per_level));
  sh.push_back(f64_vector("level_cost", level_cost));
  sh.push_back(f64_vector("regret", {s.regret.cumulative, s.regret.cost_weighted}));
  sh.push_back(i64_scalar("regret_rounds", s.regret.rounds));
  sh.push_back(i64_scalar("offline_digest", static_cast<std::int64_t>(digest)));
  const int K = c.num_levels();
  for (int k = 0; k < K; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    const std::string lp = level_prefix(k);
    put_transitions(sh, lp + "buffer/", s.buffers[ku]);
    std::vector<std::int64_t> rows;
    for (const auto& b : s.history[ku]) rows.push_back(static_cast<std::int64_t>(b.size()));
    sh.push_back(make_blob(lp + "history_rows", DType::kI64,
                           {static_cast<std::int64_t>(rows.size())}, rows.data(), rows.size()));
    for (TensorBlob b : s.discs[ku].state()) {
      b.name = lp + "discriminator/" + b.name;
      sh.push_back(std::move(b));
    }
    sh.push_back(rng_blob(lp + "discriminator_rng", s.disc_rngs[ku].state()));

    const sim::EnvGroup& g = s.groups[ku];
    const sim::EnvGroupState gs = g.state();
    const auto base = g.first() - online_instance(k, c.online.envs, 0);
    for (std::size_t i = 0; i < gs.envs.size(); ++i) {
      put_env(ck.owned, lp + "env_" + std::to_string(base + i) + "/", gs.envs[i],
              gs.rollout_rngs[i]);
    }
  }
  const Block& own = policies.block();
  for (int l = own.begin; l < own.end; ++l) {
    const std::string pp = policy_prefix(l);
    for (TensorBlob b : policies.agent(l).state()) {
      b.name = pp + b.name;
      ck.owned.push_back(std::move(b));
    }
    ck.owned.push_back(rng_blob(pp + "online_rng",
                                s.policy_rngs[static_cast<std::size_t>(l - own.begin)].state()));
  }
  return ck;
}

void write_checkpoint(io::H5File& f, const Checkpoint& ck) {
  f.write_blobs("checkpoint", ck.shared);
  const dist::Comm& comm = f.comm();
  for (int r = 0; r < comm.size(); ++r) {
    f.write_blobs_owned("checkpoint", comm.rank() == r ? ck.owned : TensorBlobs{}, r);
  }
}

TensorBlobs read_checkpoint(const io::H5File& f) {
  if (!f.has("checkpoint")) {
    throw InputError(f.path() + ": has no /checkpoint to resume from");
  }
  return f.read_blobs("checkpoint");
}

CheckpointHeader checkpoint_header(const TensorBlobs& blobs, int num_levels, int num_policies,
                                   const std::string& what) {
  const Reader r(blobs, what);
  CheckpointHeader h;
  h.round = r.i64("round");
  h.level_cost = r.values<double>("level_cost", DType::kF64, {num_levels});
  h.offline_digest = static_cast<std::uint64_t>(r.i64("offline_digest"));
  r.get("posterior", DType::kF64, {num_policies});
  if (h.round < 0) throw InputError(what + ": checkpoint round " + std::to_string(h.round));
  return h;
}

void restore_checkpoint(const Config& c, const TensorBlobs& blobs, RunState& s, PolicySet& policies,
                        const std::string& what) {
  const Reader r(blobs, what);
  const int K = c.num_levels(), L = c.offline.policies;
  s.round = r.i64("round");
  s.budget.spent = r.f64("budget_spent");
  s.eta = r.f64("posterior_eta");
  s.posterior = r.values<double>("posterior", DType::kF64, {L});
  s.spent_per_level = r.values<double>("spent_per_level", DType::kF64, {K});
  const auto regret = r.values<double>("regret", DType::kF64, {2});
  s.regret.cumulative = regret[0];
  s.regret.cost_weighted = regret[1];
  // Checkpoints written before regret_rounds was saved: one regret per round, so rounds = round.
  s.regret.rounds = r.has("regret_rounds") ? r.i64("regret_rounds") : s.round;
  for (int k = 0; k < K; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    const std::string lp = level_prefix(k);
    s.buffers[ku] = r.transitions(lp + "buffer/");
    const auto rows = r.values<std::int64_t>(lp + "history_rows", DType::kI64, {kAny});
    std::int64_t total = 0;
    for (auto n : rows) total += n;
    if (total > static_cast<std::int64_t>(s.buffers[ku].size()) ||
        static_cast<int>(rows.size()) > c.igm.history) {
      throw InputError(what + ": checkpoint entry '/checkpoint/" + lp +
                       "history_rows' does not fit the buffer or igm.history");
    }
    s.history[ku].clear();
    std::size_t begin = s.buffers[ku].size() - static_cast<std::size_t>(total);
    for (auto n : rows) {
      s.history[ku].push_back(s.buffers[ku].slice(begin, begin + static_cast<std::size_t>(n)));
      begin += static_cast<std::size_t>(n);
    }
    r.load(lp + "discriminator", [&] { s.discs[ku].load_state(r.under(lp + "discriminator/")); });
    s.disc_rngs[ku].set_state(r.rng(lp + "discriminator_rng"));

    sim::EnvGroup& g = s.groups[ku];
    sim::EnvGroupState gs;
    const auto base = g.first() - online_instance(k, c.online.envs, 0);
    for (int i = 0; i < g.size(); ++i) {
      Rng::State rollout{};
      gs.envs.push_back(r.env(lp + "env_" + std::to_string(base + i) + "/", &rollout));
      gs.rollout_rngs.push_back(rollout);
    }
    r.load(lp + "env_*", [&] {
      try {
        g.set_state(gs);
      } catch (const InvariantError& e) {
        throw InputError(e.what());
      }
    });
  }
  const Block& own = policies.block();
  for (int l = own.begin; l < own.end; ++l) {
    const std::string pp = policy_prefix(l);
    r.load("policy_" + std::to_string(l), [&] { policies.agent(l).load_state(r.under(pp)); });
    s.policy_rngs[static_cast<std::size_t>(l - own.begin)].set_state(r.rng(pp + "online_rng"));
  }
}

}  // namespace mfhrl::app
