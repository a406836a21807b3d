#include "hardware/common/text_match.hpp"

#include <algorithm>
#include <numeric>

namespace clustercap {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string> tokens(const std::string& text) {
  std::vector<std::string> parts;
  std::string part;
  for (char c : text) {
    if (c == '_' || c == '-' || c == '.') {
      if (!part.empty()) parts.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  if (!part.empty()) parts.push_back(part);
  return parts;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

// Every underscore-separated part of `word` appears in `candidate`:
// "nvidia_hgx_h100" in "nvidia_hgx_dgx_h100".
bool tokens_contained(const std::string& word, const std::string& candidate) {
  const auto word_parts = tokens(word);
  const auto candidate_parts = tokens(candidate);
  if (word_parts.size() < 2) return false;
  for (const auto& part : word_parts) {
    if (std::find(candidate_parts.begin(), candidate_parts.end(), part) == candidate_parts.end()) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string closest_match(std::string_view raw_word, const std::vector<std::string>& candidates) {
  const std::string word = lowercase(raw_word);
  // A third of the length tolerates one typo in short keys and a wrong
  // suffix in long IDs such as "nvidia_h100" for "nvidia_h100_sxm".
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& raw_candidate : candidates) {
    const std::string candidate = lowercase(raw_candidate);
    std::size_t distance = edit_distance(word, candidate);
    // A prefix either way ("nvidia_h100" of "nvidia_h100_sxm", "tdp_w" of
    // "tdp_watts") or a word whose parts all appear in the candidate is as
    // strong a hint as a one-letter typo.
    const bool prefix = std::min(word.size(), candidate.size()) >= 4 &&
                        (starts_with(candidate, word) || starts_with(word, candidate));
    if (prefix || tokens_contained(word, candidate)) distance = std::min<std::size_t>(distance, 1);
    if (distance < best_distance) {
      best_distance = distance;
      best = raw_candidate;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string best = closest_match(word, candidates);
  return best.empty() ? std::string() : " (did you mean \"" + best + "\"?)";
}

}  // namespace clustercap
