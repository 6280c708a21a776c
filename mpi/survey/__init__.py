"""Survey designs and design-based inference: designs, the linearised/replicate estimate
algebra, bootstrap factors and Wald tests. Knows nothing of poverty measures."""
