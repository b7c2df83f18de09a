#include "kernels/device.hpp"

#include <iostream>

#include <doctest/doctest.h>

using namespace hogar;

TEST_CASE("the device query never fails and says why there is no GPU") {
  int count = cuda_device_count();
  auto summary = cuda_device_summary();
  CHECK(count >= 0);
  CHECK_FALSE(summary.empty());
  if (count == 0) {
    CHECK(summary.rfind("no GPU: ", 0) == 0);
    std::cout << "skipped: no GPU (" << summary << ")\n";
    return;
  }
  CHECK(summary.rfind(std::to_string(count) + (count == 1 ? " GPU: " : " GPUs: "), 0) == 0);
  CHECK(summary.find(" GiB") != std::string::npos);
}

TEST_CASE("a visible GPU reports a name and its memory") {
  if (cuda_device_count() == 0) {
    std::cout << "skipped: no GPU\n";
    return;
  }
  auto summary = cuda_device_summary();
  std::cout << "device: " << summary << "\n";
  auto colon = summary.find(": ");
  auto comma = summary.find(", ", colon);
  REQUIRE(colon != std::string::npos);
  REQUIRE(comma != std::string::npos);
  CHECK(comma > colon + 2);  // a non-empty device name
  CHECK(std::stoi(summary.substr(comma + 2)) > 0);
}
