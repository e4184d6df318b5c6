#include "optimize/hull_allocator.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <tuple>

namespace qb {

std::vector<size_t> lowerConvexHull(const std::vector<AllocationPoint> &points) {
    std::vector<size_t> order(points.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return std::tie(points[a].cost, points[a].error) < std::tie(points[b].cost, points[b].error);
    });
    // Keep only points that lower the error: a dearer point with no less error is never worth it.
    std::vector<size_t> frontier;
    for (size_t i : order)
        if (frontier.empty() || points[i].error < points[frontier.back()].error) {
            if (!frontier.empty() && points[i].cost == points[frontier.back()].cost) frontier.pop_back();
            frontier.push_back(i);
        }
    // Monotone chain: drop a middle point lying on or above the chord of its neighbours.
    std::vector<size_t> hull;
    for (size_t i : frontier) {
        while (hull.size() >= 2) {
            const AllocationPoint &a = points[hull[hull.size() - 2]], &b = points[hull.back()], &c = points[i];
            // Slopes as error saved per cost: b is kept only if a->b saves more per cost than b->c.
            const double s1 = (a.error - b.error) / double(b.cost - a.cost);
            const double s2 = (b.error - c.error) / double(c.cost - b.cost);
            if (s1 > s2) break;
            hull.pop_back();
        }
        hull.push_back(i);
    }
    return hull;
}

Allocation allocateWithinBudget(const std::vector<AllocationItem> &items, uint64_t budget) {
    Allocation r;
    r.choice.resize(items.size());
    r.savedPerCost.assign(items.size(), 0.0);
    std::vector<std::vector<size_t>> hulls(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].points.empty()) throw std::logic_error("allocateWithinBudget: an item without points");
        hulls[i] = lowerConvexHull(items[i].points);
        r.choice[i] = hulls[i].front();  // the cheapest point (least error among the cheapest)
        r.cost += items[i].points[r.choice[i]].cost;
    }
    if (r.cost > budget) {
        for (size_t i = 0; i < items.size(); ++i) r.error += items[i].points[r.choice[i]].error;
        return r;
    }
    r.feasible = true;

    // 1. Hull steps of every item by decreasing rate; convexity keeps each item's steps in order.
    struct Step {
        double rate;
        size_t item, to;  // to: position in the item's hull
    };
    std::vector<Step> steps;
    for (size_t i = 0; i < items.size(); ++i)
        for (size_t h = 1; h < hulls[i].size(); ++h) {
            const AllocationPoint &a = items[i].points[hulls[i][h - 1]], &b = items[i].points[hulls[i][h]];
            steps.push_back({(a.error - b.error) / double(b.cost - a.cost), i, h});
        }
    std::stable_sort(steps.begin(), steps.end(), [](const Step &a, const Step &b) {
        return std::tie(b.rate, a.item, a.to) < std::tie(a.rate, b.item, b.to);
    });
    std::vector<size_t> hullPos(items.size(), 0);
    for (const Step &s : steps) {
        if (hullPos[s.item] + 1 != s.to) continue;  // an earlier step of this item did not fit
        const uint64_t from = items[s.item].points[hulls[s.item][s.to - 1]].cost;
        const uint64_t to = items[s.item].points[hulls[s.item][s.to]].cost;
        if (r.cost - from + to > budget) {
            if (r.lambda == 0) r.lambda = s.rate;  // the first step that no longer fits sets the multiplier
            continue;
        }
        r.cost = r.cost - from + to;
        hullPos[s.item] = s.to;
        r.choice[s.item] = hulls[s.item][s.to];
        r.savedPerCost[s.item] = s.rate;
    }

    // 2. Spend what is left: any dearer point with less error that fits, best rate first.
    for (;;) {
        double bestRate = 0;
        size_t bestItem = 0, bestPoint = 0;
        bool found = false;
        for (size_t i = 0; i < items.size(); ++i) {
            const AllocationPoint &cur = items[i].points[r.choice[i]];
            for (size_t p = 0; p < items[i].points.size(); ++p) {
                const AllocationPoint &q = items[i].points[p];
                if (q.cost <= cur.cost || q.error >= cur.error || r.cost - cur.cost + q.cost > budget) continue;
                const double rate = (cur.error - q.error) / double(q.cost - cur.cost);
                if (!found || rate > bestRate) {
                    found = true;
                    bestRate = rate;
                    bestItem = i;
                    bestPoint = p;
                }
            }
        }
        if (!found) break;
        r.cost = r.cost - items[bestItem].points[r.choice[bestItem]].cost + items[bestItem].points[bestPoint].cost;
        r.choice[bestItem] = bestPoint;
        r.savedPerCost[bestItem] = bestRate;
    }
    for (size_t i = 0; i < items.size(); ++i) r.error += items[i].points[r.choice[i]].error;
    return r;
}

} // namespace qb
