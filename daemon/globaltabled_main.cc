// globaltabled: the per-region daemon.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("globaltabled 0.1.0\n");
      return 0;
    }
  }
  std::fprintf(stderr, "globaltabled: the API server is not built yet\n");
  return 2;
}
