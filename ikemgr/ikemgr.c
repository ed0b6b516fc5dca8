#include "ikemgr/ikemgr.h"
