from setuptools import find_packages, setup


def read_requirements(name):
    with open(f'requirements/{name}.txt') as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
        ]


setup(
    name='dfa_lab',
    version=open('dfa_lab/version.py').read().split("'")[1],
    description='Unsupervised domain adaptation with Discriminative Feature '
    'Alignment on mmengine',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['dfa_lab', 'dfa_lab.*']),
    python_requires='>=3.9',
    install_requires=read_requirements('runtime'),
    extras_require={'tests': read_requirements('tests')},
    license='Apache-2.0',
)
