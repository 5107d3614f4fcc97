/* runner: the main() of every unit test (see unit.h).  Check's own
 * environment variables apply (CK_RUN_CASE, CK_VERBOSITY, CK_FORK...). */
#include <stdlib.h>

#include "unit.h"

int main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
