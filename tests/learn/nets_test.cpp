// The MLP nodes and the per-slice products (src/learn/nets.h) against torch's own operations: the
// same outputs and gradients, bit for bit, for one policy and for each slice of a stack (the
// shared-state node: up to rounding against the concatenated rows); and CQL(H)'s one-pass and
// per-source critic passes against each other.
#include "nets.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "mfhrl/learn/agent.h"
#include "toy.h"

namespace mfhrl::learn {
namespace {

// Leaves of an MLP in -> hidden... -> out; with S > 0, S policies stacked ((S, out, in) and (S,
// 1, out)).
Net random_layers(const std::vector<std::int64_t>& widths, std::int64_t S) {
  Net n;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    const std::int64_t in = widths[i], out = widths[i + 1];
    n.w.push_back((S > 0 ? torch::randn({S, out, in}) : torch::randn({out, in})).requires_grad_());
    n.b.push_back((S > 0 ? torch::randn({S, 1, out}) : torch::randn({out})).requires_grad_());
  }
  return n;
}

// Slice s of stacked layers as fresh leaves of one policy.
Net slice_layers(const Net& stacked, std::int64_t s) {
  Net n;
  for (std::size_t i = 0; i < stacked.w.size(); ++i) {
    n.w.push_back(stacked.w[i].detach()[s].clone().requires_grad_());
    n.b.push_back(stacked.b[i].detach()[s].reshape({-1}).clone().requires_grad_());
  }
  return n;
}

// Torch's layer-by-layer graph: linear, relu, ..., linear.
torch::Tensor torch_mlp(torch::Tensor h, const Net& n) {
  for (std::size_t i = 0; i < n.w.size(); ++i) {
    h = torch::nn::functional::linear(h, n.w[i], n.b[i]);
    if (i + 1 < n.w.size()) h = torch::relu(h);
  }
  return h;
}

void expect_same_bits(const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
  ASSERT_TRUE(a.defined() && b.defined()) << what;
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_TRUE(torch::equal(a, b)) << what << ": max difference "
                                  << (a - b).abs().max().item<float>();
}

// Fresh leaves with n's values, with or without gradients.
Net copy_layers(const Net& n, bool grad) {
  Net c;
  for (std::size_t i = 0; i < n.w.size(); ++i) {
    c.w.push_back(n.w[i].detach().clone().requires_grad_(grad));
    c.b.push_back(n.b[i].detach().clone().requires_grad_(grad));
  }
  return c;
}

// mlp_forward against torch's graph on equal inputs: x = view(base) of a leaf base (with or
// without gradient) and layers with or without gradients. Compares the output, base's gradient
// and every parameter's gradient (undefined where none is wanted).
void expect_torchs_results(const torch::Tensor& base, bool x_grad, const Net& layers, bool w_grad,
                           const std::function<torch::Tensor(const torch::Tensor&)>& view) {
  const Net ours = copy_layers(layers, w_grad), theirs = copy_layers(layers, w_grad);
  const auto base1 = base.detach().clone().requires_grad_(x_grad);
  const auto base2 = base.detach().clone().requires_grad_(x_grad);
  const auto bias0 = ours.b[0].detach().clone();
  const auto y = mlp_forward(view(base1), ours);
  const auto y2 = torch_mlp(view(base2), theirs);
  expect_same_bits(y, y2, "output");
  // One row once made the output an alias of the bias, and the product was added into it.
  expect_same_bits(ours.b[0].detach(), bias0, "bias after the forward");
  const auto coef = torch::randn(y.sizes());
  (y * coef).sum().backward();
  (y2 * coef).sum().backward();
  if (x_grad) {
    expect_same_bits(base1.grad(), base2.grad(), "input gradient");
  } else {
    EXPECT_FALSE(base1.grad().defined());
  }
  for (std::size_t i = 0; i < ours.w.size(); ++i) {
    if (!w_grad) {
      EXPECT_FALSE(ours.w[i].grad().defined() || ours.b[i].grad().defined()) << "layer " << i;
      continue;
    }
    expect_same_bits(ours.w[i].grad(), theirs.w[i].grad(), "weight gradient " + std::to_string(i));
    expect_same_bits(ours.b[i].grad(), theirs.b[i].grad(), "bias gradient " + std::to_string(i));
  }
}

const auto kAsIs = [](const torch::Tensor& t) { return t; };

class MlpForward : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(MlpForward, GivesTorchsOutputsAndGradientsBitForBit) {
  torch::manual_seed(1);
  const std::int64_t rows = GetParam();
  expect_torchs_results(torch::randn({rows, 23}), true, random_layers({23, 64, 64, 1}, 0), true,
                        kAsIs);
}

INSTANTIATE_TEST_SUITE_P(Rows, MlpForward, ::testing::Values(1, 33, 256));

// Bit equality that also holds for NaN (torch::equal is false for any NaN).
void expect_same_raw_bits(const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
  ASSERT_TRUE(a.defined() && b.defined()) << what;
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_TRUE(torch::equal(a.contiguous().view(torch::kInt32), b.contiguous().view(torch::kInt32)))
      << what;
}

// The in-place ReLU and its derivative on exact zeros, infinities and NaN: a row of zeros with a
// zero first bias (pre-activations exactly 0), a row with an infinite input (+-inf, then inf - inf
// = NaN behind the ReLU) and rows with a NaN input. 33 rows of width 31 are 1023 floats, so the
// 4-wide loops leave a remainder of 3, and the last row's NaN reaches it. (A pre-activation of
// -0 cannot arise: it is b + a sum of products that starts from +0.)
TEST(MlpForward, ZerosInfinitiesAndNanGetTorchsBits) {
  torch::manual_seed(6);
  Net layers = random_layers({23, 31, 31, 2}, 0);
  {
    torch::NoGradGuard no_grad;
    layers.b[0].zero_();
  }
  auto x = torch::randn({33, 23});
  x[0].zero_();
  x[1][0] = std::numeric_limits<float>::infinity();
  x[2][3] = std::numeric_limits<float>::quiet_NaN();
  x[32][5] = std::numeric_limits<float>::quiet_NaN();
  const Net ours = copy_layers(layers, true), theirs = copy_layers(layers, true);
  const auto x1 = x.clone().requires_grad_(true), x2 = x.clone().requires_grad_(true);
  const auto y = mlp_forward(x1, ours), y2 = torch_mlp(x2, theirs);
  ASSERT_TRUE(std::isnan(y[1][0].item<float>()) || std::isnan(y[1][1].item<float>()));
  expect_same_raw_bits(y, y2, "output");
  const auto coef = torch::randn(y.sizes());
  // Every row gets a gradient: the loss is NaN, its gradients are not (a NaN row's input gradient
  // goes through the ReLU masks where the activations are NaN, as in torch).
  (y * coef).sum().backward();
  (y2 * coef).sum().backward();
  ASSERT_TRUE(std::isfinite(x2.grad()[2].abs().sum().item<float>()));
  expect_same_raw_bits(x1.grad(), x2.grad(), "input gradient");
  for (std::size_t i = 0; i < ours.w.size(); ++i) {
    expect_same_raw_bits(ours.w[i].grad(), theirs.w[i].grad(),
                         "weight gradient " + std::to_string(i));
    expect_same_raw_bits(ours.b[i].grad(), theirs.b[i].grad(),
                         "bias gradient " + std::to_string(i));
  }
}

// The critics inside the actor loss: weights without gradients, the input with one; and the
// actor: the input without.
TEST(MlpForwardGradients, OnlyWhereWantedAndThenTorchs) {
  torch::manual_seed(4);
  const Net layers = random_layers({23, 32, 32, 1}, 0);
  expect_torchs_results(torch::randn({33, 23}), true, layers, false, kAsIs);
  expect_torchs_results(torch::randn({33, 23}), false, layers, true, kAsIs);
}

// The discriminators pass the (s, a) columns of wider rows: a view whose rows are padded.
TEST(MlpForwardGradients, PaddedRowsGetTorchsResults) {
  torch::manual_seed(5);
  expect_torchs_results(torch::randn({33, 30}), true, random_layers({23, 32, 32, 2}, 0), true,
                        [](const torch::Tensor& t) { return t.slice(1, 0, 23); });
}

TEST(MlpForwardStacked, EachSliceGetsTorchsResultForThatPolicyAlone) {
  torch::manual_seed(2);
  const std::int64_t S = 3, rows = 40;
  const Net stacked = random_layers({17, 32, 32, 12}, S);
  const auto x = torch::randn({S, rows, 17}).requires_grad_();
  const auto coef = torch::randn({S, rows, 12});
  const auto y = mlp_forward(x, stacked);
  (y * coef).sum().backward();
  for (std::int64_t s = 0; s < S; ++s) {
    const Net alone = slice_layers(stacked, s);
    const auto xs = x.detach()[s].clone().requires_grad_();
    const auto ys = torch_mlp(xs, alone);
    expect_same_bits(y[s], ys, "output of slice " + std::to_string(s));
    (ys * coef[s]).sum().backward();
    expect_same_bits(x.grad()[s], xs.grad(), "input gradient of slice " + std::to_string(s));
    for (std::size_t i = 0; i < alone.w.size(); ++i) {
      expect_same_bits(stacked.w[i].grad()[s], alone.w[i].grad(),
                       "weight gradient " + std::to_string(i) + " of slice " + std::to_string(s));
      expect_same_bits(stacked.b[i].grad()[s].reshape({-1}), alone.b[i].grad(),
                       "bias gradient " + std::to_string(i) + " of slice " + std::to_string(s));
    }
  }
}

TEST(MlpForward, NeedsMatchingWeightsAndBiases) {
  const Net n = random_layers({4, 3, 2}, 0);
  EXPECT_THROW(mlp_forward(torch::randn({5, 4}), Net{n.w, {n.b[0]}}), std::exception);
  EXPECT_THROW(mlp_forward(torch::randn({5, 4}), Net{n.w, {n.b[1], n.b[0]}}), std::exception);
}

// Equal up to rounding: no element further from b than 1e-5 of b's largest magnitude.
void expect_close(const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
  ASSERT_TRUE(a.defined() && b.defined()) << what;
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const float diff = (a - b).abs().max().item<float>();
  const float scale = b.abs().max().item<float>();
  EXPECT_LE(diff, 1e-5f * scale) << what << ": largest magnitude " << scale;
}

// mlp_forward_shared(state, act, r) against torch's graph on the concatenated rows [state_i,
// act_{ir+j}]: the same output and weight gradients up to the order of the sums (the state
// columns are multiplied once per state, and their gradients summed over the state's rows first).
void expect_shared_matches_concatenated(const std::vector<std::int64_t>& widths, std::int64_t B,
                                        std::int64_t r) {
  const std::int64_t ds = 17, da = widths[0] - ds;
  const Net layers = random_layers(widths, 0);
  const Net ours = copy_layers(layers, true), theirs = copy_layers(layers, true);
  const auto state = torch::randn({B, ds}), act = torch::randn({B * r, da});
  const auto y = mlp_forward_shared(state, act, r, ours);
  const auto y2 = torch_mlp(torch::cat({state.repeat_interleave(r, 0), act}, 1), theirs);
  expect_close(y, y2, "output");
  // The rows' state columns really are the state: a different state changes the output.
  EXPECT_FALSE(torch::allclose(y, mlp_forward_shared(state + 1, act, r, ours).detach()));
  const auto coef = torch::randn(y.sizes());
  (y * coef).sum().backward();
  (y2 * coef).sum().backward();
  for (std::size_t i = 0; i < ours.w.size(); ++i) {
    expect_close(ours.w[i].grad(), theirs.w[i].grad(), "weight gradient " + std::to_string(i));
    expect_close(ours.b[i].grad(), theirs.b[i].grad(), "bias gradient " + std::to_string(i));
  }
}

TEST(MlpForwardShared, MatchesTheConcatenatedRowsUpToRounding) {
  torch::manual_seed(6);
  expect_shared_matches_concatenated({23, 64, 64, 1}, 32, 30);
  expect_shared_matches_concatenated({23, 16, 1}, 5, 3);  // one hidden layer, odd sizes
  expect_shared_matches_concatenated({23, 8}, 4, 2);      // a single layer
  expect_shared_matches_concatenated({23, 16, 1}, 6, 1);  // one action per state
}

TEST(MlpForwardShared, EachSliceOfAStackGetsItsResultAloneBitForBit) {
  torch::manual_seed(7);
  const std::int64_t S = 3, B = 8, r = 6;
  const Net stacked = random_layers({23, 32, 32, 1}, S);
  const auto state = torch::randn({S, B, 17}), act = torch::randn({S, B * r, 6});
  const auto coef = torch::randn({S, B * r, 1});
  const auto y = mlp_forward_shared(state, act, r, stacked);
  (y * coef).sum().backward();
  for (std::int64_t s = 0; s < S; ++s) {
    const Net alone = slice_layers(stacked, s);
    const auto ys = mlp_forward_shared(state[s], act[s], r, alone);
    expect_same_bits(y[s], ys, "output of slice " + std::to_string(s));
    (ys * coef[s]).sum().backward();
    for (std::size_t i = 0; i < alone.w.size(); ++i) {
      expect_same_bits(stacked.w[i].grad()[s], alone.w[i].grad(),
                       "weight gradient " + std::to_string(i) + " of slice " + std::to_string(s));
      expect_same_bits(stacked.b[i].grad()[s].reshape({-1}), alone.b[i].grad(),
                       "bias gradient " + std::to_string(i) + " of slice " + std::to_string(s));
    }
  }
}

TEST(MlpForwardShared, RefusesMismatchedShapesAndInputsThatWantGradients) {
  const Net n = random_layers({23, 8, 1}, 0);
  const auto state = torch::randn({4, 17}), act = torch::randn({12, 6});
  EXPECT_NO_THROW(mlp_forward_shared(state, act, 3, n));
  EXPECT_THROW(mlp_forward_shared(state, act, 2, n), std::exception);  // 12 rows != 4 x 2
  EXPECT_THROW(mlp_forward_shared(state, torch::randn({12, 5}), 3, n), std::exception);
  EXPECT_THROW(mlp_forward_shared(state.unsqueeze(0), act, 3, n), std::exception);
  EXPECT_THROW(mlp_forward_shared(state, act.clone().requires_grad_(), 3, n), std::exception);
  EXPECT_THROW(mlp_forward_shared(state.clone().requires_grad_(), act, 3, n), std::exception);
  EXPECT_THROW(mlp_forward_shared(state, act, 3, Net{n.w, {n.b[0]}}), std::exception);
}

// CQL(H)'s critics over a state's 3N actions in one pass, or one pass per source (uniform, pi(s),
// pi(s')) where the activations are large: the same update up to rounding. It catches the two
// paths disagreeing (say, the one pass's actions in another order than the per-source passes);
// what both share (the offsets, the repeated actor output) it cannot check.
TEST(CqlPasses, OnePassAndOnePerSourceGiveTheSameUpdateUpToRounding) {
  const AgentSpec s = toy::small_spec(3, 2);
  Rng rng(4, Stream::kTest, 0);
  const Transitions batch = toy::random_batch(rng, 3, 2, 16);
  Agent one(s, 5, 1), per_source(s, 5, 1);
  // Restores the limit even if an update throws.
  struct Limit {
    std::int64_t saved = cql_one_pass_floats;
    ~Limit() { cql_one_pass_floats = saved; }
  } limit;
  std::vector<UpdateStats> x, y;
  for (int i = 0; i < 3; ++i) {
    x.push_back(one.cql_update(batch));
    cql_one_pass_floats = 0;  // every pass too large: one per source
    y.push_back(per_source.cql_update(batch));
    cql_one_pass_floats = limit.saved;
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto near = [&](double a, double b, const char* what) {
      EXPECT_LE(std::abs(a - b), 1e-5 * std::max(1.0, std::abs(b))) << what << " of update " << i;
    };
    near(x[i].cql_penalty, y[i].cql_penalty, "penalty");
    near(x[i].critic_loss, y[i].critic_loss, "critic loss");
    near(x[i].actor_loss, y[i].actor_loss, "actor loss");
    near(x[i].q_mean, y[i].q_mean, "mean Q");
  }
  EXPECT_GT(x.back().cql_penalty, 0.1);  // the term is there to compare
}

// bmm_like_addmm against torch's addmm slice by slice, for a first operand in either layout, with
// padded rows, or in neither (a strided view torch copies), and a second in either layout;
// accumulating (beta 1) or overwriting (beta 0).
TEST(BmmLikeAddmm, EachSliceIsTorchsAddmm) {
  torch::manual_seed(3);
  const std::int64_t S = 2, m = 37, k = 19, n = 45;
  const std::vector<torch::Tensor> m1s = {torch::randn({S, m, k}),
                                          torch::randn({S, k, m}).transpose(1, 2),
                                          torch::randn({S, m, k + 5}).slice(2, 0, k),
                                          torch::randn({S, m, 2 * k}).slice(2, 0, 2 * k, 2)};
  const std::vector<torch::Tensor> m2s = {torch::randn({S, k, n}),
                                          torch::randn({S, n, k}).transpose(1, 2)};
  for (const float beta : {0.0f, 1.0f}) {
    for (std::size_t i = 0; i < m1s.size(); ++i) {
      for (std::size_t j = 0; j < m2s.size(); ++j) {
        const auto r = torch::randn({S, m, n});
        const auto want = r.clone();
        for (std::int64_t s = 0; s < S; ++s) want[s].addmm_(m1s[i][s], m2s[j][s], beta, 1.0);
        bmm_like_addmm(r, m1s[i], m2s[j], beta);
        expect_same_bits(r, want,
                         "beta " + std::to_string(beta) + ", operands " + std::to_string(i) + "," +
                             std::to_string(j));
      }
    }
  }
}

}  // namespace
}  // namespace mfhrl::learn
