// Chooses one point per item (a tensor's candidate types as (cost, error) points) so that the
// summed error is least with the summed cost at most a budget: a multiple-choice knapsack solved
// the way rate-distortion allocators do it.
//
// Contract: pure and deterministic (ties broken by item, then point order). Each item's
// points are reduced to their lower convex hull; hull steps ("upgrades") of all items are taken
// in order of error saved per unit of cost, largest first, while they fit: this is exactly the
// solution for the Lagrange multiplier at which the budget binds, found without a numeric
// search. A greedy pass then spends what is left on any upgrade (hull or not) that fits, again
// best error saved per unit of cost first. The total never exceeds the budget; when even the
// cheapest point of every item does not fit, `feasible` is false and `cost` is that least cost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qb {

struct AllocationPoint {
    uint64_t cost = 0;
    double error = 0;
};

struct AllocationItem {
    std::vector<AllocationPoint> points;  // at least one
};

struct Allocation {
    bool feasible = false;
    std::vector<size_t> choice;        // per item: index into its points
    std::vector<double> savedPerCost;  // per item: error saved per unit of cost by its last upgrade (0: cheapest point)
    uint64_t cost = 0;                 // summed cost of the choice (the least possible cost when infeasible)
    double error = 0;                  // summed error of the choice
    double lambda = 0;                 // the multiplier: the rate of the last hull step taken
};

Allocation allocateWithinBudget(const std::vector<AllocationItem> &items, uint64_t budget);

// The indices of an item's lower convex hull, by increasing cost (and strictly decreasing error).
std::vector<size_t> lowerConvexHull(const std::vector<AllocationPoint> &points);

} // namespace qb
