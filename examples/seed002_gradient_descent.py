"""Seed 002: activations, torch.autograd.grad, softmax and its gradient, losses, Adam on Himmelblau.

The study notes' snippets in order, run unchanged with `import ember as torch`.
"""
import ember as torch
import ember.nn as nn
import ember.nn.functional as F

# 1 activations
z = torch.linspace(-1, 1, 6)
print(z)
a1 = torch.sigmoid(z)
a2 = torch.tanh(z)
a3 = F.relu(z)
print(a1)
print(a2)
print(a3)

# 2 torch.autograd.grad
x = torch.arange(3).float()
w = torch.tensor([2, 1, 3.])
print('x=')
print(x)
print('w=')
print(w)
x.requires_grad_()
print(x)
y = x @ w
print('y=')
print(y)
dx = torch.autograd.grad(y, x)
print('dx=')
print(dx)
w.requires_grad_()
y = x @ w
dx, dw = torch.autograd.grad(y, [x, w])
print('dx=')
print(dx)
print('dw=')
print(dw)

x = torch.tensor([0, 1., 2.], requires_grad=True)
w = torch.tensor([2, 1, 3.])
w.requires_grad_()
y = x @ w
y.backward()
print("w.grad")
print(w.grad)
print("x.grad")
print(x.grad)
print(w.grad.norm())

# 3 softmax and its gradient
torch.manual_seed(0)
a = torch.rand(3, 4)
a.requires_grad_()
p = torch.softmax(a, dim=0)
print(a)
print(p)
da1 = torch.autograd.grad(p[0, 0], a, retain_graph=True)
print(da1)
da2 = torch.autograd.grad(p[0, 1], a, retain_graph=True)
print(da2)
try:
    torch.autograd.grad(p[0, 0], a[:, 0], retain_graph=True)
except RuntimeError as e:
    print("RuntimeError:", str(e).splitlines()[0])

# 4 losses
x = torch.ones(2, 3)
w = torch.full([3, 2], 2.)
mse = F.mse_loss(torch.ones(3, 3), w @ x)
print(mse)

torch.manual_seed(1)
z = torch.rand(4, 1)
pred = torch.sigmoid(z)
y = torch.tensor([1, 0, 1, 0], dtype=torch.float).view(4, 1)
loss = nn.BCELoss()
bce = loss(pred, y)
print(bce)
ce_define = -1/4 * (y*torch.log(pred) + (1-y)*torch.log(1-pred)).sum()
print(ce_define)
print(F.binary_cross_entropy(pred, y))

z = torch.tensor([[4., 3., 2., 1.],
                  [3., 1., 4., 5.]])
y_hat = torch.softmax(z, dim=1)
ce = F.cross_entropy(z, torch.tensor([0, 2]))
print("y_hat=softmax(z)")
print("y_hat=")
print(y_hat)
y_true = torch.tensor([[1, 0, 0, 0],
                       [0, 0, 1, 0]])
print("y_true=")
print(y_true)
print("log(y_hat)=")
print(torch.log(y_hat))
print()
print("ce=-1/2*sum(y_true * log(y_hat))")
print("ce=", ce)
print(F.nll_loss(F.log_softmax(z, dim=1), torch.tensor([0, 2])))
criteon = nn.CrossEntropyLoss()
print(criteon(z, torch.tensor([0, 2])))


# 5 gradient descent with Adam on the Himmelblau function
def himmelblau(x):
    return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2


x = torch.tensor([-4., 0.], requires_grad=True)
optimizer = torch.optim.Adam([x], lr=1e-3)
for step in range(20000):
    pred = himmelblau(x)
    optimizer.zero_grad()
    pred.backward()
    optimizer.step()
    if step % 2000 == 0:
        print('step {}: x = {}, f(x) = {}'
              .format(step, x.tolist(), pred.item()))

a = torch.full((2, 3), 7.)
print('a= {}'.format(a.tolist()))
print(type(a.tolist()))
b = torch.tensor([2])
c = torch.tensor(5.)
print(b.item())
print(c.item())
try:
    print(a.item())
except RuntimeError as e:
    print("RuntimeError:", e)
