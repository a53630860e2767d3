"""Seed 000 (d2l 2.4 calculus, numerical limit; d2l 2.5 autograd), run with ember.

The tangent-line plot of 2.4 needs the d2l helpers (ember.d2l) and lives in its own example.
"""
import ember as torch


def f(x):
    return 3 * x ** 2 - 4 * x


def numerical_lim(f, x, h):
    return (f(x + h) - f(x)) / h


h = 0.1
for i in range(5):
    print(f'h={h:.5f},numerical limit={numerical_lim(f, 1, h):.5f}')
    h *= 0.1

# 2.5 autograd
x = torch.arange(4.0)
print(x)

x.requires_grad_(True)  # same as x = torch.arange(4.0, requires_grad=True)
print(x.grad)  # None by default

y = 2 * torch.dot(x, x)
print(y)

y.backward()
print(x.grad)

print(x.grad == 4 * x)

# gradients accumulate: clear them first
x.grad.zero_()
y = x.sum()
y.backward()
print(x.grad)

# backward of a non-scalar: sum first (same as y.backward(torch.ones(len(x))))
x.grad.zero_()
y = x * x
y.sum().backward()
print(x.grad)

# detach: treat u as a constant
x.grad.zero_()
y = x * x
u = y.detach()
z = u * x

z.sum().backward()
print(x.grad == u)

x.grad.zero_()
y.sum().backward()
print(x.grad == 2 * x)


# gradients through Python control flow
def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


torch.manual_seed(1)  # a fixed draw (a > 0), so the printed check is reproducible
a = torch.randn(size=(), requires_grad=True)
d = f(a)
d.backward()

print(a.grad == d / a)
