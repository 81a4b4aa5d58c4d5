// The MLP node and the per-slice products (src/learn/nets.h) against torch's own operations: the
// same outputs and gradients, bit for bit, for one policy and for each slice of a stack.
#include "nets.h"

#include <gtest/gtest.h>

#include <vector>

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

class MlpForward : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(MlpForward, GivesTorchsOutputsAndGradientsBitForBit) {
  torch::manual_seed(1);
  const std::int64_t rows = GetParam();
  const Net ours = random_layers({23, 64, 64, 1}, 0);
  Net theirs;
  for (std::size_t i = 0; i < ours.w.size(); ++i) {
    theirs.w.push_back(ours.w[i].detach().clone().requires_grad_());
    theirs.b.push_back(ours.b[i].detach().clone().requires_grad_());
  }
  const auto bias0 = ours.b[0].detach().clone();
  const auto x = torch::randn({rows, 23}).requires_grad_();
  const auto x2 = x.detach().clone().requires_grad_();
  const auto coef = torch::randn({rows, 1});
  const auto y = mlp_forward(x, ours);
  const auto y2 = torch_mlp(x2, theirs);
  expect_same_bits(y, y2, "output");
  // One row once made the output an alias of the bias, and the product was added into it.
  expect_same_bits(ours.b[0].detach(), bias0, "bias after the forward");
  (y * coef).sum().backward();
  (y2 * coef).sum().backward();
  expect_same_bits(x.grad(), x2.grad(), "input gradient");
  for (std::size_t i = 0; i < ours.w.size(); ++i) {
    expect_same_bits(ours.w[i].grad(), theirs.w[i].grad(), "weight gradient " + std::to_string(i));
    expect_same_bits(ours.b[i].grad(), theirs.b[i].grad(), "bias gradient " + std::to_string(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, MlpForward, ::testing::Values(1, 33, 256));

TEST(MlpForwardStacked, EachSliceGetsTorchsResultForThatPolicyAlone) {
  torch::manual_seed(2);
  const std::int64_t S = 3, rows = 40;
  const Net stacked = random_layers({17, 32, 32, 12}, S);
  const auto x = torch::randn({S, rows, 17});
  const auto coef = torch::randn({S, rows, 12});
  const auto y = mlp_forward(x, stacked);
  (y * coef).sum().backward();
  for (std::int64_t s = 0; s < S; ++s) {
    const Net alone = slice_layers(stacked, s);
    const auto ys = torch_mlp(x[s], alone);
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

TEST(MlpForward, NeedsMatchingWeightsAndBiases) {
  const Net n = random_layers({4, 3, 2}, 0);
  EXPECT_THROW(mlp_forward(torch::randn({5, 4}), Net{n.w, {n.b[0]}}), std::exception);
  EXPECT_THROW(mlp_forward(torch::randn({5, 4}), Net{n.w, {n.b[1], n.b[0]}}), std::exception);
}

// bmm_like_addmm against torch's addmm slice by slice, for operands in both layouts and in
// neither (a strided view torch copies), accumulating (beta 1) or overwriting (beta 0).
TEST(BmmLikeAddmm, EachSliceIsTorchsAddmm) {
  torch::manual_seed(3);
  const std::int64_t S = 2, m = 37, k = 19, n = 45;
  const std::vector<torch::Tensor> m1s = {torch::randn({S, m, k}),
                                          torch::randn({S, k, m}).transpose(1, 2),
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
