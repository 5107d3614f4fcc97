/* check_layers: linked with one library whole and only the layers below it
 * (Makefile.am): if a module calls into a layer above its own, this program
 * does not link and the build fails.  Running it checks nothing more. */
#include <stdlib.h>

int main(void)
{
	return EXIT_SUCCESS;
}
