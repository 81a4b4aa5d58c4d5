#include "checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
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

Checkpoint capture_checkpoint(const Config& c, const RunState& s) {
  Checkpoint ck;
  ck.round = s.round;
  TensorBlobs& sh = ck.shared;
  sh.push_back(i64_scalar("round", s.round));
  sh.push_back(f64_scalar("budget_spent", s.budget.spent));
  sh.push_back(f64_scalar("posterior_eta", s.eta));
  sh.push_back(f64_vector("posterior", s.posterior));
  sh.push_back(f64_vector("spent_per_level", s.spent_per_level));
  sh.push_back(f64_vector("level_cost", s.level_cost));
  sh.push_back(f64_vector("regret", {s.regret.cumulative, s.regret.cost_weighted}));
  sh.push_back(i64_scalar("regret_rounds", s.regret.rounds));
  sh.push_back(i64_scalar("offline_digest", static_cast<std::int64_t>(s.offline_digest)));
  const int K = c.num_levels();
  for (int k = 0; k < K; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    const std::string lp = level_prefix(k);
    sh.push_back(i64_scalar(lp + "rows_collected", s.rows_collected[ku]));
    sh.push_back(i64_scalar(lp + "buffer_rows", static_cast<std::int64_t>(s.buffers[ku].size())));
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
  const Block& own = s.policies.block();
  for (int l = own.begin; l < own.end; ++l) {
    const std::string pp = policy_prefix(l);
    for (TensorBlob b : s.policies.agent(l).state()) {
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

void restore_checkpoint(const Config& c, const TensorBlobs& blobs, RunState& s,
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
    const auto held = static_cast<std::int64_t>(s.buffers[ku].size());
    // An older build's checkpoint holds its buffers whole and no row counts.
    s.rows_collected[ku] = r.has(lp + "rows_collected") ? r.i64(lp + "rows_collected") : held;
    if ((r.has(lp + "buffer_rows") && r.i64(lp + "buffer_rows") != held) ||
        held > c.online.buffer_capacity || held > s.rows_collected[ku]) {
      throw InputError(what + ": checkpoint entry '/checkpoint/" + lp +
                       "buffer_rows' does not fit the buffer's rows or online.buffer_capacity");
    }
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
  s.level_cost = r.values<double>("level_cost", DType::kF64, {K});
  s.offline_digest = static_cast<std::uint64_t>(r.i64("offline_digest"));
  const Block& own = s.policies.block();
  for (int l = own.begin; l < own.end; ++l) {
    const std::string pp = policy_prefix(l);
    r.load("policy_" + std::to_string(l), [&] { s.policies.agent(l).load_state(r.under(pp)); });
    s.policy_rngs[static_cast<std::size_t>(l - own.begin)].set_state(r.rng(pp + "online_rng"));
  }
}

TensorBlobs buffer_blobs(const RunState& s) {
  TensorBlobs out;
  for (std::size_t k = 0; k < s.buffers.size(); ++k) {
    put_transitions(out, level_prefix(static_cast<int>(k)) + "buffer/", s.buffers[k]);
  }
  return out;
}

std::string buffers_dir(const std::string& run_path) {
  return run_path + ".buffers";
}

bool buffers_in_segments(const TensorBlobs& blobs) {
  return std::any_of(blobs.begin(), blobs.end(),
                     [](const TensorBlob& b) { return b.name == "level_1/rows_collected"; });
}

namespace {

namespace fs = std::filesystem;

constexpr const char* kSegmentGroup = "rows";

// The round of a segment file name "round_<r>.h5"; -1 for any other name (temp files included).
std::int64_t segment_round(const std::string& name) {
  const std::string head = "round_", tail = ".h5";
  if (name.size() <= head.size() + tail.size() || name.compare(0, head.size(), head) != 0 ||
      name.compare(name.size() - tail.size(), tail.size(), tail) != 0) {
    return -1;
  }
  const std::string digits = name.substr(head.size(), name.size() - head.size() - tail.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18) return -1;
  return std::stoll(digits);
}

// The segment files of dir, oldest first, as (round, path); none when dir does not exist.
std::vector<std::pair<std::int64_t, std::string>> list_segments(const std::string& dir) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::int64_t r = segment_round(e.path().filename().string());
    if (r >= 0) out.emplace_back(r, e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One segment's rows: (first row, rows) per level present.
struct SegmentRows {
  std::vector<std::int64_t> first;  // (K) -1: no rows of that level
  std::vector<Transitions> rows;    // (K)
};

SegmentRows read_segment(const std::string& path, int K) {
  const dist::SerialComm serial;
  const io::H5File f = io::H5File::open(path, serial, false);
  const TensorBlobs blobs = f.read_blobs(kSegmentGroup);
  const Reader r(blobs, path);
  SegmentRows out;
  out.first.assign(static_cast<std::size_t>(K), -1);
  out.rows.resize(static_cast<std::size_t>(K));
  for (int k = 0; k < K; ++k) {
    const std::string lp = level_prefix(k);
    if (!r.has(lp + "first_row")) continue;
    out.first[static_cast<std::size_t>(k)] = r.i64(lp + "first_row");
    out.rows[static_cast<std::size_t>(k)] = r.transitions(lp);
  }
  return out;
}

// One past each level's last row in a segment (0: none), from its first_row and rewards only.
std::vector<std::int64_t> segment_row_ends(const std::string& path, int K) {
  const dist::SerialComm serial;
  const io::H5File f = io::H5File::open(path, serial, false);
  std::vector<std::int64_t> end(static_cast<std::size_t>(K), 0);
  for (int k = 0; k < K; ++k) {
    const std::string g = std::string(kSegmentGroup) + "/" + level_prefix(k);
    if (!f.has(g + "first_row")) continue;
    std::int64_t first = 0;
    const TensorBlob b = f.read_blob(g + "first_row");
    std::memcpy(&first, b.bytes.data(), sizeof first);
    end[static_cast<std::size_t>(k)] = first + f.read_blob(g + "rewards").numel();
  }
  return end;
}

}  // namespace

void read_buffer_rows(const std::string& run_path, int K, TensorBlobs& blobs,
                      const std::string& what) {
  const std::string dir = buffers_dir(run_path);
  std::vector<std::int64_t> begin, end;
  std::int64_t round = 0;
  {
    const Reader r(blobs, what);
    round = r.i64("round");
    for (int k = 0; k < K; ++k) {
      const std::string lp = level_prefix(k);
      end.push_back(r.i64(lp + "rows_collected"));
      begin.push_back(end.back() - r.i64(lp + "buffer_rows"));
      if (begin.back() < 0 || begin.back() > end.back()) {
        throw InputError(what + ": checkpoint entries '/checkpoint/" + lp +
                         "rows_collected' and 'buffer_rows' disagree");
      }
    }
  }
  std::vector<Transitions> buf(static_cast<std::size_t>(K));
  std::vector<std::int64_t> covered(static_cast<std::size_t>(K), 0);
  for (int k = 0; k < K; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    buf[ku].resize(static_cast<std::size_t>(end[ku] - begin[ku]));
  }
  for (const auto& [r, path] : list_segments(dir)) {
    if (r > round) continue;  // written for a checkpoint that never landed
    const SegmentRows seg = [&] {
      try {
        return read_segment(path, K);
      } catch (const InputError& e) {
        throw InputError(what + ": buffer segment " + path + " cannot be read: " + e.what());
      }
    }();
    for (int k = 0; k < K; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      if (seg.first[ku] < 0) continue;
      const std::int64_t a = std::max(seg.first[ku], begin[ku]);
      const std::int64_t b =
          std::min(seg.first[ku] + static_cast<std::int64_t>(seg.rows[ku].size()), end[ku]);
      for (std::int64_t i = a; i < b; ++i) {
        const Transitions& t = seg.rows[ku];
        const auto j = static_cast<std::size_t>(i - seg.first[ku]);
        buf[ku].set(static_cast<std::size_t>(i - begin[ku]), &t.obs[j * t.obs_dim],
                    &t.act[j * t.act_dim], t.rew[j], &t.next_obs[j * t.obs_dim], t.terminal[j] != 0,
                    t.timeout[j] != 0);
      }
      covered[ku] += std::max<std::int64_t>(b - a, 0);
    }
  }
  for (int k = 0; k < K; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    if (covered[ku] != end[ku] - begin[ku]) {
      throw InputError(what + ": the replay buffer of level " + std::to_string(k + 1) + " (rows " +
                       std::to_string(begin[ku]) + ".." + std::to_string(end[ku] - 1) + ") is " +
                       (covered[ku] < end[ku] - begin[ku] ? "not all" : "more than once") +
                       " in the segments of " + dir + " (deleted or damaged?)");
    }
    put_transitions(blobs, level_prefix(k) + "buffer/", buf[ku]);
  }
}

BufferLog::BufferLog(std::string run_path, const dist::Comm& comm, int num_levels,
                     std::int64_t capacity)
    : dir_(buffers_dir(run_path)),
      comm_(comm),
      K_(num_levels),
      capacity_(static_cast<std::size_t>(capacity)),
      kept_(static_cast<std::size_t>(num_levels)),
      noted_total_(static_cast<std::size_t>(num_levels), 0),
      noted_size_(static_cast<std::size_t>(num_levels), 0) {}

std::string BufferLog::segment_path(std::int64_t round) const {
  char name[40];
  std::snprintf(name, sizeof name, "round_%09lld.h5", static_cast<long long>(round));
  return dir_ + "/" + name;
}

void BufferLog::start_fresh() {
  std::string err;
  if (comm_.rank() == 0) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (ec) err = dir_ + ": cannot remove an earlier run's buffer segments (" + ec.message() + ")";
  }
  io::raise_rank0_error(err, comm_);
}

void BufferLog::start_resumed(const RunState& s, bool in_segments) {
  for (int k = 0; k < K_; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    noted_total_[ku] = s.rows_collected[ku];
    noted_size_[ku] = static_cast<std::int64_t>(s.buffers[ku].size());
    kept_[ku] = in_segments ? Transitions{} : s.buffers[ku];
  }
  if (comm_.rank() == 0) {
    segments_.clear();
    std::error_code ec;
    if (fs::is_directory(dir_, ec)) {
      for (const auto& e : fs::directory_iterator(dir_, ec)) {
        if (e.path().extension() == ".tmp") fs::remove(e.path(), ec);  // a segment never renamed
      }
    }
    for (const auto& [r, path] : list_segments(dir_)) {
      if (r > s.round || !in_segments) {
        fs::remove(path, ec);  // of a checkpoint that never landed, or of another layout
        continue;
      }
      segments_.push_back({r, segment_row_ends(path, K_)});
    }
  }
  comm_.barrier();
}

void BufferLog::note(const RunState& s) {
  for (int k = 0; k < K_; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    const Transitions& buf = s.buffers[ku];
    const auto gained = static_cast<std::size_t>(std::min<std::int64_t>(
        s.rows_collected[ku] - noted_total_[ku], static_cast<std::int64_t>(buf.size())));
    if (gained > 0) {
      kept_[ku].append(buf.slice(buf.size() - gained, buf.size()));
      keep_newest(kept_[ku], capacity_);
    }
    noted_total_[ku] = s.rows_collected[ku];
    noted_size_[ku] = static_cast<std::int64_t>(buf.size());
  }
}

std::size_t BufferLog::write(std::int64_t round, io::DeferredCommits* later,
                             const std::function<void()>& in_temp) {
  std::size_t bytes = 0;
  TensorBlobs blobs;
  for (int k = 0; k < K_; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    if (kept_[ku].size() == 0) continue;
    const std::string lp = level_prefix(k);
    blobs.push_back(i64_scalar(lp + "first_row",
                               noted_total_[ku] - static_cast<std::int64_t>(kept_[ku].size())));
    put_transitions(blobs, lp, kept_[ku]);
  }
  for (const auto& b : blobs) bytes += b.bytes.size();
  if (blobs.empty()) return 0;
  std::string err;
  if (comm_.rank() == 0) {
    try {
      std::error_code ec;
      // A new directory's own entry must be on disk too, before anything refers to it.
      if (fs::create_directories(dir_, ec)) io::sync_directory(fs::path(dir_).parent_path());
      if (ec) throw InputError(dir_ + ": cannot create the directory (" + ec.message() + ")");
      const dist::SerialComm serial;
      // Committed (here or later) before the run file that refers to it, with its directory.
      io::write_file_atomically(
          segment_path(round), serial,
          [&](io::H5File& f) {
            f.write_blobs(kSegmentGroup, blobs);
            if (in_temp) {
              f.flush();
              in_temp();
            }
          },
          later);
    } catch (const InputError& e) {
      err = e.what();
    }
  }
  io::raise_rank0_error(err, comm_);
  if (comm_.rank() == 0) {
    Segment entry{round, std::vector<std::int64_t>(static_cast<std::size_t>(K_), 0)};
    for (int k = 0; k < K_; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      if (kept_[ku].size() > 0) entry.end[ku] = noted_total_[ku];
    }
    segments_.push_back(std::move(entry));
  }
  return bytes;
}

void BufferLog::committed(std::int64_t round, io::DeferredCommits* later) {
  for (auto& t : kept_) t = Transitions{};
  if (comm_.rank() != 0) return;
  // A segment is needed while any of its rows is still in its level's buffer (or it is of a
  // later round, which cannot happen here: write() came just before this commit).
  std::vector<Segment> keep;
  for (const Segment& seg : segments_) {
    bool needed = seg.round > round;
    for (int k = 0; k < K_ && !needed; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      needed = seg.end[ku] > noted_total_[ku] - noted_size_[ku];
    }
    if (needed) {
      keep.push_back(seg);
    } else if (later != nullptr) {
      later->add_removal(segment_path(seg.round));
    } else {
      std::error_code ec;
      fs::remove(segment_path(seg.round), ec);
    }
  }
  segments_ = std::move(keep);
}

void BufferLog::remove_all() {
  for (auto& t : kept_) t = Transitions{};
  segments_.clear();
  start_fresh();
}

}  // namespace mfhrl::app
