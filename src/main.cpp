// pstore-blk: read pstore/blk crash records offline and provision pstore_blk.
// Thin main (bloaty src/main.cc): the single error boundary lives in run().
#include <exception>
#include <iostream>

#include "pstore_blk/cli/app.hpp"

int main(int argc, char** argv) {
  try {
    return psb::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "pstore-blk: internal error: " << e.what() << "\n";
    return psb::cli::kExitFailure;
  }
}
