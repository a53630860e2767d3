"""d2l 3.2: linear regression implemented from scratch, on ember.

Generates y = Xw + b + noise with w = [2, -3.4], b = 4.2, then fits w and b by minibatch SGD on
the squared loss, printing the loss after each epoch and the estimation errors at the end.
Usage: python linear_regression_scratch.py [--epochs N] [--seed S]
"""
import argparse
import random

import ember as torch
from ember import d2l

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
random.seed(args.seed)

true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = d2l.synthetic_data(true_w, true_b, 1000)
print('features:', features[0], '\nlabel:', labels[0])


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    # the examples are read in random order
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


batch_size = 10
for X, y in data_iter(batch_size, features, labels):
    print(X, '\n', y)
    break

w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)

lr = 0.03
num_epochs = args.epochs
net = d2l.linreg
loss = d2l.squared_loss

for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = loss(net(X, w, b), y)  # minibatch loss of X and y
        # l has shape (batch_size, 1): sum it to a scalar, then compute the gradient of [w, b]
        l.sum().backward()
        d2l.sgd([w, b], lr, batch_size)  # update the parameters with their gradients
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')

print(f'error in estimating w: {true_w - w.reshape(true_w.shape)}')
print(f'error in estimating b: {true_b - b}')
