/* Placeholder entry point until the router lifecycle lands. */
int main(void);

int
main(void)
{
	return 1;
}
