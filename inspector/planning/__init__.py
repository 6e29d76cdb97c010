"""Before the visit: the random draw of institutions and inspectors (双随机), and its plan documents."""
