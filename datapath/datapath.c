#include "datapath/datapath.h"
