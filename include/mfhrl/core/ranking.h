// How well a posterior ranks the policies by their true return (the mechanism behind MF-HRL-IGM,
// made visible), and the calibration of the posterior's learning rate eta in the task's units.
#pragma once

#include <vector>

namespace mfhrl {

// Ranks 1..n of x with ties given their average rank (the fractional ranking of Spearman's rho).
std::vector<double> average_ranks(const std::vector<double>& x);

// Spearman's rank correlation of x and y (same size >= 2): the Pearson correlation of their
// average ranks, in [-1, 1]. NaN when either has all entries equal (no ranking to compare).
double spearman_correlation(const std::vector<double>& x, const std::vector<double>& y);

// The index of the largest entry, ties to the lowest index (so every rank agrees). Non-empty.
int argmax_index(const std::vector<double>& x);

// True when policy `chosen` has the largest true return (ties count as best).
bool is_best(const std::vector<double>& returns, int chosen);

// posterior.eta: auto. losses[b][l]: the posterior statistic of policy l on calibration batch b
// (each batch as large as an online batch). The spread of one batch is the standard deviation
// over the policies of its losses; eta = step / median over batches of that spread, so that one
// batch moves the log-weights of the policies apart by about `step` nats (one standard deviation).
// Returns 0 when every spread is 0 (the batches cannot tell the policies apart; the caller
// decides). Needs >= 1 batch of >= 2 policies and step > 0.
double eta_from_loss_spread(const std::vector<std::vector<double>>& losses, double step);

// igm.trust: agreement. history[k][b][l]: the statistic of policy l on level k's remembered batch
// b. Level k's trust is the mean Spearman correlation between its batches' losses and the top
// level's (index top), over every pair, clamped to [0, 1]: a level whose statistic orders the
// policies as the most faithful level does is trusted, one that reorders them is not. The top
// level's trust is 1; a level with no batches yet, or compared with a top level that has none,
// gets 1 (untested, so optimistic). Pairs whose correlation is undefined (all losses equal) count
// as 0.
std::vector<double> level_trust(const std::vector<std::vector<std::vector<double>>>& history,
                                int top);

// igm.trust: pooled. As level_trust, but each level's remembered batches are summed first: w_k
// is Spearman(sum over b of history[k][b], sum over b of history[top][b]) clamped to [0, 1]. A
// sum over M batches averages their noise out before the comparison, so two levels that order the
// policies alike score near 1 even when single batches are noisy (the mean over pairs that
// level_trust takes shrinks toward 0 with the noise of both). Unlike level_trust it is
// pessimistic: a lower level is not trusted (0) until both it and the top level have batches to
// compare, so a level whose ranking is wrong cannot move the posterior before the top level has
// been seen. The top level's trust is 1; an undefined correlation (all sums equal) is 0.
std::vector<double> level_trust_pooled(const std::vector<std::vector<std::vector<double>>>& history,
                                       int top);

// igm.trust_explore: the trust igm chooses a level with, optimistic about an estimate made from
// few batches. trust[k] is the estimate (level_trust or level_trust_pooled), batches[k] the count
// of level k's remembered batches behind it. A lower level with m >= 1 batches is chosen with
// min(1, trust[k] + explore / sqrt(m)); the top level and a level without batches keep trust[k]
// (an unvisited level's IG is optimistic already). The posterior keeps using trust itself, so a
// level that is only explored cannot move it more than its estimate allows; explore 0 returns
// trust unchanged. Needs explore >= 0, one count per level, counts >= 0 and trust in [0, 1].
std::vector<double> optimistic_trust(const std::vector<double>& trust,
                                     const std::vector<int>& batches, int top, double explore);

}  // namespace mfhrl
