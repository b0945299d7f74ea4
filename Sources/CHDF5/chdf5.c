#include "chdf5.h"
int chdf5_placeholder(void) { return 0; }
