// Writes the real-world-shaped sample messages (tests/resolver/dns_samples.h)
// as the fuzz seed corpus: one file per message in the given directory.
#include <cstdio>
#include <fstream>
#include <string>

#include "tests/resolver/dns_samples.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
    return 2;
  }
  for (const auto& [name, wire] : ztgate::resolver::dns::samples::AllSamples()) {
    const std::string path = std::string(argv[1]) + "/" + name + ".bin";
    std::ofstream out(path, std::ios::binary);
    out.write(wire.data(), static_cast<std::streamsize>(wire.size()));
    if (!out) {
      std::fprintf(stderr, "failed to write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
