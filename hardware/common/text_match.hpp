// "Did you mean" suggestions for unknown keys and IDs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clustercap {

// Edit distance (insert, delete, substitute each cost 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is close enough to be a
// plausible typo (distance above a third of the word's length, minimum 2).
// Ties go to the earlier candidate, so results are stable.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean \"x\"?)" or "" when there is no close candidate.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace clustercap
