// Uses the installed library through its public header only; exits 0 when
// every check holds, else prints what failed and exits 1.
#include <clustercap/clustercap.hpp>
#include <iostream>
#include <string>
#include <vector>

// The public header must not pull in the libraries clustercap is built on.
#if defined(EIGEN_WORLD_VERSION) || defined(TOML_VERSION_MAJOR) || defined(BOOST_VERSION) || \
    defined(NLOHMANN_JSON_VERSION_MAJOR)
#error "clustercap/clustercap.hpp includes a dependency's header"
#endif

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAILED: " << what << "\n";
    ++failures;
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The text of the value after the first `keys[0]`, then the first `keys[1]`
// after it, and so on ("" when one is missing): enough JSON reading for a
// consumer that links nothing but clustercap.
std::string value_after(const std::string& json, const std::vector<std::string>& keys) {
  std::size_t at = 0;
  for (const std::string& key : keys) {
    at = json.find("\"" + key + "\": ", at);
    if (at == std::string::npos) return "";
    at += key.size() + 4;
  }
  return json.substr(at, json.find_first_of(",\n}", at) - at);
}

}  // namespace

int main() {
  check(clustercap::version() == EXPECTED_VERSION,
        "version() " + clustercap::version() + " is the package's " + EXPECTED_VERSION);

  const std::string json = clustercap::estimate_json();
  check(value_after(json, {"schema"}) == "\"clustercap.estimate.v1\"",
        "estimate JSON names its schema");
  check(value_after(json, {"clustercap_version"}) == "\"" + clustercap::version() + "\"",
        "estimate JSON carries the library's version");
  // The default scenario's first actor holds a lognormal count of Ascend 910C
  // with p10 104,000 and p90 260,000 (configs/default.toml): its median is
  // sqrt(104,000 x 260,000) = 164,438, which fills 428 whole CloudMatrix 384
  // systems: 428 x 384 = 164,352 chips.
  check(value_after(json, {"actors", "cluster", "chips"}) == "164352",
        "the default estimate's first actor has 164,352 chips");

  const clustercap::Result run = clustercap::run({"estimate", "--format", "json"});
  check(run.exit_code == clustercap::kExitOk && run.err.empty() && run.out == json,
        "run() gives estimate_json()'s text with exit 0");

  const clustercap::Result bad = clustercap::run({"estimate", "--format", "yaml"});
  check(bad.exit_code == clustercap::kExitInput && bad.out.empty() && contains(bad.err, "--format"),
        "a bad flag gives exit 2 and a message naming it");

  try {
    clustercap::estimate_json("", {"no_such_key=1"});
    check(false, "a rejected override throws");
  } catch (const clustercap::Error& e) {
    const clustercap::Result same =
        clustercap::run({"estimate", "--format", "json", "--set", "no_such_key=1"});
    check(e.exit_code() == clustercap::kExitInput && same.exit_code == clustercap::kExitInput &&
              !same.err.empty() && e.what() == same.err,
          "a rejected override throws clustercap::Error with exit 2 and the command's messages");
  }

  if (failures == 0)
    std::cout << "consumer: all checks hold (clustercap " << clustercap::version() << ")\n";
  return failures == 0 ? 0 : 1;
}
