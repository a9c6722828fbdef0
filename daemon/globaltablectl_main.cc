// globaltablectl: operator command line for a globaltable deployment.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("globaltablectl 0.1.0\n");
      return 0;
    }
  }
  std::fprintf(stderr, "usage: globaltablectl --config FILE <status|fence|unfence|promote|drill>\n");
  return 2;
}
